
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'wxcoupon' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'wxcoupon'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'wxcoupon' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('return', 'return', [CompletionResultType]::ParameterValue, 'Return a used coupon to the user''s wallet (POST /v3/marketing/busifavor/coupons/return)')
            [CompletionResult]::new('certificates', 'certificates', [CompletionResultType]::ParameterValue, 'Download or list the WeChat Pay platform certificates (平台证书) of the profile')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'What was returned, when, with which request number, by which profile (the ledger)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain a WeChat Pay error code offline, in Chinese and English')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Sign a request by hand and print its Authorization header (for debugging SIGN_ERROR)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a WeChat Pay answer''s or callback''s signature by hand')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Run a local WeChat Pay stand-in for the return API (loopback only; the profile''s merchant, a sample WeChat Pay key)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'See the whole flow in seconds: returns against an in-process emulator, nothing real')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check a profile offline and say what is wrong')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'The config file: print the example to start one from')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wxcoupon;return' {
            [CompletionResult]::new('--code', '--code', [CompletionResultType]::ParameterName, 'The coupon''s code (coupon_code)')
            [CompletionResult]::new('--stock', '--stock', [CompletionResultType]::ParameterName, 'The coupon''s batch id (stock_id); with --batch, the stock id of rows that have none')
            [CompletionResult]::new('--request-no', '--request-no', [CompletionResultType]::ParameterName, 'The return request number (return_request_no); generated when absent. Re-use it to retry the same return safely')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Return every coupon of a CSV or JSON Lines file (- reads stdin); resumable')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'The batch''s journal (default: FILE.journal beside the input; required with --batch -)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Worker threads of a batch, 1 to 64 (default 4)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Requests per second across a batch (0: no limit; default 10, a conservative guess, not WeChat Pay''s published figure)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each attempt''s answer, connect to last byte (overrides the profile''s timeout_secs; default 10)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after an attempt with no definitive answer, 0 to 10 (overrides the profile''s retries; default 2)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)')
            [CompletionResult]::new('--retry-rejected', '--retry-rejected', [CompletionResultType]::ParameterName, 'Send again, with a new request number, the rows a batch''s journal records as rejected')
            [CompletionResult]::new('--retry-unverified', '--retry-unverified', [CompletionResultType]::ParameterName, 'Send again, in --resume mode, the rows a batch''s journal records as unverified')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Build and sign the request, print it, and send nothing')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'An earlier run may already have sent this return: RESOURCE_ALREADY_EXISTS then confirms it')
            [CompletionResult]::new('--no-ledger', '--no-ledger', [CompletionResultType]::ParameterName, 'Record nothing in the ledger (a read-only machine, a CI smoke check); see `wxcoupon history`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;certificates' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('download', 'download', [CompletionResultType]::ParameterValue, 'Download the platform certificates (GET /v3/certificates), check them and save them into platform_certificates_dir; needs the APIv3 key')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the certificates in platform_certificates_dir, offline')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wxcoupon;certificates;download' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;certificates;list' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;certificates;help' {
            [CompletionResult]::new('download', 'download', [CompletionResultType]::ParameterValue, 'Download the platform certificates (GET /v3/certificates), check them and save them into platform_certificates_dir; needs the APIv3 key')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the certificates in platform_certificates_dir, offline')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wxcoupon;certificates;help;download' {
            break
        }
        'wxcoupon;certificates;help;list' {
            break
        }
        'wxcoupon;certificates;help;help' {
            break
        }
        'wxcoupon;history' {
            [CompletionResult]::new('--code', '--code', [CompletionResultType]::ParameterName, 'Only this coupon code')
            [CompletionResult]::new('--stock', '--stock', [CompletionResultType]::ParameterName, 'Only this stock (批次号)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'From this day on, YYYY-MM-DD (China Standard Time)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Up to this day, included, YYYY-MM-DD (China Standard Time)')
            [CompletionResult]::new('--outcome', '--outcome', [CompletionResultType]::ParameterName, 'Only this outcome: returned, rejected, unknown, unverified, sending (sent, no answer recorded)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;explain' {
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'WeChat Pay''s message, to tell apart codes that have several meanings')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;sign' {
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'HTTP method')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Canonical URL: the path plus ?query exactly as sent, without scheme and host')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'Request body (default: empty)')
            [CompletionResult]::new('--body-file', '--body-file', [CompletionResultType]::ParameterName, 'Read the request body from this file, byte for byte')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'Unix time in seconds (default: now)')
            [CompletionResult]::new('--nonce', '--nonce', [CompletionResultType]::ParameterName, 'Nonce (default: 32 random characters)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Merchant private key PEM file (instead of the profile''s)')
            [CompletionResult]::new('--mchid', '--mchid', [CompletionResultType]::ParameterName, 'Merchant id (instead of the profile''s)')
            [CompletionResult]::new('--serial', '--serial', [CompletionResultType]::ParameterName, 'Merchant API certificate serial number (instead of the profile''s)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;verify' {
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'The Wechatpay-Timestamp header')
            [CompletionResult]::new('--nonce', '--nonce', [CompletionResultType]::ParameterName, 'The Wechatpay-Nonce header')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The Wechatpay-Signature header (Base64)')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'The body as received (default: empty)')
            [CompletionResult]::new('--body-file', '--body-file', [CompletionResultType]::ParameterName, 'Read the body from this file, byte for byte')
            [CompletionResult]::new('--public-key', '--public-key', [CompletionResultType]::ParameterName, 'WeChat Pay public key PEM file, or a platform certificate''s (instead of the profile''s)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;emulator' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on; loopback only. Port 0 picks a free port [default: 127.0.0.1:0, or the port --state DIR used last]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Keep the emulator''s files in DIR across restarts: the key files, the coupons and the request numbers used, the downloaded certificates'' folder, and the port, so that a saved profile keeps working (without it: a temporary folder, removed when the emulator stops)')
            [CompletionResult]::new('--coupons', '--coupons', [CompletionResultType]::ParameterName, 'Seed the coupons from a JSON array of {coupon_code, stock_id, state[, mchid]}, or a CSV with a header (coupon_code,stock_id[,state][,mchid]; state USED when absent)')
            [CompletionResult]::new('--fault', '--fault', [CompletionResultType]::ParameterName, 'Inject a fault into the next N requests: pass (none), drop-before, drop-after, delay, 500, 429, probe (repeatable, in order)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Answer 429 FREQUENCY_LIMITED, unprocessed, to every request past R in any sliding second, as WeChat Pay''s frequency limits do')
            [CompletionResult]::new('--delay', '--delay', [CompletionResultType]::ParameterName, 'Seconds the `delay` fault holds an answer back')
            [CompletionResult]::new('--signer', '--signer', [CompletionResultType]::ParameterName, 'Which key signs the answers: the WeChat Pay public key, the newest platform certificate (and GET /v3/certificates is served), or the two in turn')
            [CompletionResult]::new('--rotation', '--rotation', [CompletionResultType]::ParameterName, 'Play a platform certificate rotation (with --signer certificate or switching): before (the old certificate only), during (the old one''s expire_time moved up to 24 h from now, the new one published, in use from then), after (the new one in use, signing)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;demo' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;doctor' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;config' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('example', 'example', [CompletionResultType]::ParameterValue, 'Print the example config (config.example.toml), to start a config file from: `wxcoupon config example > FILE`, then fill in the merchant''s values')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wxcoupon;config;example' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wxcoupon;config;help' {
            [CompletionResult]::new('example', 'example', [CompletionResultType]::ParameterValue, 'Print the example config (config.example.toml), to start a config file from: `wxcoupon config example > FILE`, then fill in the merchant''s values')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wxcoupon;config;help;example' {
            break
        }
        'wxcoupon;config;help;help' {
            break
        }
        'wxcoupon;help' {
            [CompletionResult]::new('return', 'return', [CompletionResultType]::ParameterValue, 'Return a used coupon to the user''s wallet (POST /v3/marketing/busifavor/coupons/return)')
            [CompletionResult]::new('certificates', 'certificates', [CompletionResultType]::ParameterValue, 'Download or list the WeChat Pay platform certificates (平台证书) of the profile')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'What was returned, when, with which request number, by which profile (the ledger)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain a WeChat Pay error code offline, in Chinese and English')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Sign a request by hand and print its Authorization header (for debugging SIGN_ERROR)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a WeChat Pay answer''s or callback''s signature by hand')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Run a local WeChat Pay stand-in for the return API (loopback only; the profile''s merchant, a sample WeChat Pay key)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'See the whole flow in seconds: returns against an in-process emulator, nothing real')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check a profile offline and say what is wrong')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'The config file: print the example to start one from')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wxcoupon;help;return' {
            break
        }
        'wxcoupon;help;certificates' {
            [CompletionResult]::new('download', 'download', [CompletionResultType]::ParameterValue, 'Download the platform certificates (GET /v3/certificates), check them and save them into platform_certificates_dir; needs the APIv3 key')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the certificates in platform_certificates_dir, offline')
            break
        }
        'wxcoupon;help;certificates;download' {
            break
        }
        'wxcoupon;help;certificates;list' {
            break
        }
        'wxcoupon;help;history' {
            break
        }
        'wxcoupon;help;explain' {
            break
        }
        'wxcoupon;help;sign' {
            break
        }
        'wxcoupon;help;verify' {
            break
        }
        'wxcoupon;help;completions' {
            break
        }
        'wxcoupon;help;emulator' {
            break
        }
        'wxcoupon;help;demo' {
            break
        }
        'wxcoupon;help;doctor' {
            break
        }
        'wxcoupon;help;config' {
            [CompletionResult]::new('example', 'example', [CompletionResultType]::ParameterValue, 'Print the example config (config.example.toml), to start a config file from: `wxcoupon config example > FILE`, then fill in the merchant''s values')
            break
        }
        'wxcoupon;help;config;example' {
            break
        }
        'wxcoupon;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
