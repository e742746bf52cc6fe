
use builtin;
use str;

set edit:completion:arg-completer[wxcoupon] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'wxcoupon'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'wxcoupon'= {
            cand --config 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)'
            cand --profile 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -v 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
            cand --verbose 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand return 'Return a used coupon to the user''s wallet (POST /v3/marketing/busifavor/coupons/return)'
            cand certificates 'Download or list the WeChat Pay platform certificates (平台证书) of the profile'
            cand history 'What was returned, when, with which request number, by which profile (the ledger)'
            cand explain 'Explain a WeChat Pay error code offline, in Chinese and English'
            cand sign 'Sign a request by hand and print its Authorization header (for debugging SIGN_ERROR)'
            cand verify 'Check a WeChat Pay answer''s or callback''s signature by hand'
            cand completions 'Print a shell completion script to stdout'
            cand emulator 'Run a local WeChat Pay stand-in for the return API (loopback only; the profile''s merchant, a sample WeChat Pay key)'
            cand demo 'See the whole flow in seconds: returns against an in-process emulator, nothing real'
            cand doctor 'Check a profile offline and say what is wrong'
            cand config 'The config file: print the example to start one from'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wxcoupon;return'= {
            cand --code 'The coupon''s code (coupon_code)'
            cand --stock 'The coupon''s batch id (stock_id); with --batch, the stock id of rows that have none'
            cand --request-no 'The return request number (return_request_no); generated when absent. Re-use it to retry the same return safely'
            cand --batch 'Return every coupon of a CSV or JSON Lines file (- reads stdin); resumable'
            cand --journal 'The batch''s journal (default: FILE.journal beside the input; required with --batch -)'
            cand --concurrency 'Worker threads of a batch, 1 to 64 (default 4)'
            cand --rate 'Requests per second across a batch (0: no limit; default 10, a conservative guess, not WeChat Pay''s published figure)'
            cand --timeout 'Seconds to wait for each attempt''s answer, connect to last byte (overrides the profile''s timeout_secs; default 10)'
            cand --retries 'Retries after an attempt with no definitive answer, 0 to 10 (overrides the profile''s retries; default 2)'
            cand --config 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)'
            cand --profile 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)'
            cand --retry-rejected 'Send again, with a new request number, the rows a batch''s journal records as rejected'
            cand --retry-unverified 'Send again, in --resume mode, the rows a batch''s journal records as unverified'
            cand --dry-run 'Build and sign the request, print it, and send nothing'
            cand --resume 'An earlier run may already have sent this return: RESOURCE_ALREADY_EXISTS then confirms it'
            cand --no-ledger 'Record nothing in the ledger (a read-only machine, a CI smoke check); see `wxcoupon history`'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -v 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
            cand --verbose 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;certificates'= {
            cand --config 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)'
            cand --profile 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -v 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
            cand --verbose 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand download 'Download the platform certificates (GET /v3/certificates), check them and save them into platform_certificates_dir; needs the APIv3 key'
            cand list 'List the certificates in platform_certificates_dir, offline'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wxcoupon;certificates;download'= {
            cand --config 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)'
            cand --profile 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -v 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
            cand --verbose 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;certificates;list'= {
            cand --config 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)'
            cand --profile 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;certificates;help'= {
            cand download 'Download the platform certificates (GET /v3/certificates), check them and save them into platform_certificates_dir; needs the APIv3 key'
            cand list 'List the certificates in platform_certificates_dir, offline'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wxcoupon;certificates;help;download'= {
        }
        &'wxcoupon;certificates;help;list'= {
        }
        &'wxcoupon;certificates;help;help'= {
        }
        &'wxcoupon;history'= {
            cand --code 'Only this coupon code'
            cand --stock 'Only this stock (批次号)'
            cand --since 'From this day on, YYYY-MM-DD (China Standard Time)'
            cand --until 'Up to this day, included, YYYY-MM-DD (China Standard Time)'
            cand --outcome 'Only this outcome: returned, rejected, unknown, unverified, sending (sent, no answer recorded)'
            cand --config 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)'
            cand --profile 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;explain'= {
            cand --message 'WeChat Pay''s message, to tell apart codes that have several meanings'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;sign'= {
            cand --method 'HTTP method'
            cand --url 'Canonical URL: the path plus ?query exactly as sent, without scheme and host'
            cand --body 'Request body (default: empty)'
            cand --body-file 'Read the request body from this file, byte for byte'
            cand --timestamp 'Unix time in seconds (default: now)'
            cand --nonce 'Nonce (default: 32 random characters)'
            cand --key 'Merchant private key PEM file (instead of the profile''s)'
            cand --mchid 'Merchant id (instead of the profile''s)'
            cand --serial 'Merchant API certificate serial number (instead of the profile''s)'
            cand --config 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)'
            cand --profile 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;verify'= {
            cand --timestamp 'The Wechatpay-Timestamp header'
            cand --nonce 'The Wechatpay-Nonce header'
            cand --signature 'The Wechatpay-Signature header (Base64)'
            cand --body 'The body as received (default: empty)'
            cand --body-file 'Read the body from this file, byte for byte'
            cand --public-key 'WeChat Pay public key PEM file, or a platform certificate''s (instead of the profile''s)'
            cand --config 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)'
            cand --profile 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;emulator'= {
            cand --listen 'Address to listen on; loopback only. Port 0 picks a free port [default: 127.0.0.1:0, or the port --state DIR used last]'
            cand --state 'Keep the emulator''s files in DIR across restarts: the key files, the coupons and the request numbers used, the downloaded certificates'' folder, and the port, so that a saved profile keeps working (without it: a temporary folder, removed when the emulator stops)'
            cand --coupons 'Seed the coupons from a JSON array of {coupon_code, stock_id, state[, mchid]}, or a CSV with a header (coupon_code,stock_id[,state][,mchid]; state USED when absent)'
            cand --fault 'Inject a fault into the next N requests: pass (none), drop-before, drop-after, delay, 500, 429, probe (repeatable, in order)'
            cand --limit 'Answer 429 FREQUENCY_LIMITED, unprocessed, to every request past R in any sliding second, as WeChat Pay''s frequency limits do'
            cand --delay 'Seconds the `delay` fault holds an answer back'
            cand --signer 'Which key signs the answers: the WeChat Pay public key, the newest platform certificate (and GET /v3/certificates is served), or the two in turn'
            cand --rotation 'Play a platform certificate rotation (with --signer certificate or switching): before (the old certificate only), during (the old one''s expire_time moved up to 24 h from now, the new one published, in use from then), after (the new one in use, signing)'
            cand --config 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)'
            cand --profile 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;demo'= {
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -v 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
            cand --verbose 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;doctor'= {
            cand --config 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)'
            cand --profile 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)'
            cand --json 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;config'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand example 'Print the example config (config.example.toml), to start a config file from: `wxcoupon config example > FILE`, then fill in the merchant''s values'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wxcoupon;config;example'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wxcoupon;config;help'= {
            cand example 'Print the example config (config.example.toml), to start a config file from: `wxcoupon config example > FILE`, then fill in the merchant''s values'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wxcoupon;config;help;example'= {
        }
        &'wxcoupon;config;help;help'= {
        }
        &'wxcoupon;help'= {
            cand return 'Return a used coupon to the user''s wallet (POST /v3/marketing/busifavor/coupons/return)'
            cand certificates 'Download or list the WeChat Pay platform certificates (平台证书) of the profile'
            cand history 'What was returned, when, with which request number, by which profile (the ledger)'
            cand explain 'Explain a WeChat Pay error code offline, in Chinese and English'
            cand sign 'Sign a request by hand and print its Authorization header (for debugging SIGN_ERROR)'
            cand verify 'Check a WeChat Pay answer''s or callback''s signature by hand'
            cand completions 'Print a shell completion script to stdout'
            cand emulator 'Run a local WeChat Pay stand-in for the return API (loopback only; the profile''s merchant, a sample WeChat Pay key)'
            cand demo 'See the whole flow in seconds: returns against an in-process emulator, nothing real'
            cand doctor 'Check a profile offline and say what is wrong'
            cand config 'The config file: print the example to start one from'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wxcoupon;help;return'= {
        }
        &'wxcoupon;help;certificates'= {
            cand download 'Download the platform certificates (GET /v3/certificates), check them and save them into platform_certificates_dir; needs the APIv3 key'
            cand list 'List the certificates in platform_certificates_dir, offline'
        }
        &'wxcoupon;help;certificates;download'= {
        }
        &'wxcoupon;help;certificates;list'= {
        }
        &'wxcoupon;help;history'= {
        }
        &'wxcoupon;help;explain'= {
        }
        &'wxcoupon;help;sign'= {
        }
        &'wxcoupon;help;verify'= {
        }
        &'wxcoupon;help;completions'= {
        }
        &'wxcoupon;help;emulator'= {
        }
        &'wxcoupon;help;demo'= {
        }
        &'wxcoupon;help;doctor'= {
        }
        &'wxcoupon;help;config'= {
            cand example 'Print the example config (config.example.toml), to start a config file from: `wxcoupon config example > FILE`, then fill in the merchant''s values'
        }
        &'wxcoupon;help;config;example'= {
        }
        &'wxcoupon;help;help'= {
        }
    ]
    $completions[$command]
}
