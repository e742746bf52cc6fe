# --profile <TAB>: the profile names of the config file in use (--config on
# the command line, else $WXCOUPON_CONFIG, else the default), from wxcoupon.
function __fish_wxcoupon_profiles
    set -l words (commandline -opc)
    set -l config
    for i in (seq 2 (count $words))
        switch $words[$i]
            case --config
                set -q words[(math $i + 1)]; and set config --config (string replace -r '^~' $HOME -- $words[(math $i + 1)])
            case '--config=*'
                set config --config (string replace -r '^~' $HOME -- (string replace -- --config= '' $words[$i]))
        end
    end
    set -l wxcoupon (string replace -r '^~' $HOME -- $words[1])
    $wxcoupon complete-profiles $config 2>/dev/null
end

# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_wxcoupon_global_optspecs
    string join \n config= profile= json v/verbose h/help V/version
end

function __fish_wxcoupon_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_wxcoupon_global_optspecs) -- $cmd 2>/dev/null
    or return 0
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_wxcoupon_using_subcommand
    set -l cmd (__fish_wxcoupon_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -l config -d 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -s v -l verbose -d 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "return" -d 'Return a used coupon to the user\'s wallet (POST /v3/marketing/busifavor/coupons/return)'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "certificates" -d 'Download or list the WeChat Pay platform certificates (平台证书) of the profile'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "history" -d 'What was returned, when, with which request number, by which profile (the ledger)'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "explain" -d 'Explain a WeChat Pay error code offline, in Chinese and English'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "sign" -d 'Sign a request by hand and print its Authorization header (for debugging SIGN_ERROR)'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "verify" -d 'Check a WeChat Pay answer\'s or callback\'s signature by hand'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "emulator" -d 'Run a local WeChat Pay stand-in for the return API (loopback only; the profile\'s merchant, a sample WeChat Pay key)'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "demo" -d 'See the whole flow in seconds: returns against an in-process emulator, nothing real'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "doctor" -d 'Check a profile offline and say what is wrong'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "config" -d 'The config file: print the example to start one from'
complete -c wxcoupon -n "__fish_wxcoupon_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l code -d 'The coupon\'s code (coupon_code)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l stock -d 'The coupon\'s batch id (stock_id); with --batch, the stock id of rows that have none' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l request-no -d 'The return request number (return_request_no); generated when absent. Re-use it to retry the same return safely' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l batch -d 'Return every coupon of a CSV or JSON Lines file (- reads stdin); resumable' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l journal -d 'The batch\'s journal (default: FILE.journal beside the input; required with --batch -)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l concurrency -d 'Worker threads of a batch, 1 to 64 (default 4)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l rate -d 'Requests per second across a batch (0: no limit; default 10, a conservative guess, not WeChat Pay\'s published figure)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l timeout -d 'Seconds to wait for each attempt\'s answer, connect to last byte (overrides the profile\'s timeout_secs; default 10)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l retries -d 'Retries after an attempt with no definitive answer, 0 to 10 (overrides the profile\'s retries; default 2)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l config -d 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l retry-rejected -d 'Send again, with a new request number, the rows a batch\'s journal records as rejected'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l retry-unverified -d 'Send again, in --resume mode, the rows a batch\'s journal records as unverified'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l dry-run -d 'Build and sign the request, print it, and send nothing'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l resume -d 'An earlier run may already have sent this return: RESOURCE_ALREADY_EXISTS then confirms it'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l no-ledger -d 'Record nothing in the ledger (a read-only machine, a CI smoke check); see `wxcoupon history`'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -s v -l verbose -d 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand return" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and not __fish_seen_subcommand_from download list help" -l config -d 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and not __fish_seen_subcommand_from download list help" -l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and not __fish_seen_subcommand_from download list help" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and not __fish_seen_subcommand_from download list help" -s v -l verbose -d 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and not __fish_seen_subcommand_from download list help" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and not __fish_seen_subcommand_from download list help" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and not __fish_seen_subcommand_from download list help" -f -a "download" -d 'Download the platform certificates (GET /v3/certificates), check them and save them into platform_certificates_dir; needs the APIv3 key'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and not __fish_seen_subcommand_from download list help" -f -a "list" -d 'List the certificates in platform_certificates_dir, offline'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and not __fish_seen_subcommand_from download list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from download" -l config -d 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from download" -l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from download" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from download" -s v -l verbose -d 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from download" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from download" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from list" -l config -d 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from list" -l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from list" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from help" -f -a "download" -d 'Download the platform certificates (GET /v3/certificates), check them and save them into platform_certificates_dir; needs the APIv3 key'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the certificates in platform_certificates_dir, offline'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand certificates; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand history" -l code -d 'Only this coupon code' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand history" -l stock -d 'Only this stock (批次号)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand history" -l since -d 'From this day on, YYYY-MM-DD (China Standard Time)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand history" -l until -d 'Up to this day, included, YYYY-MM-DD (China Standard Time)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand history" -l outcome -d 'Only this outcome: returned, rejected, unknown, unverified, sending (sent, no answer recorded)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand history" -l config -d 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand history" -l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand history" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand history" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand history" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand explain" -l message -d 'WeChat Pay\'s message, to tell apart codes that have several meanings' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand explain" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand explain" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand explain" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l method -d 'HTTP method' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l url -d 'Canonical URL: the path plus ?query exactly as sent, without scheme and host' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l body -d 'Request body (default: empty)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l body-file -d 'Read the request body from this file, byte for byte' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l timestamp -d 'Unix time in seconds (default: now)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l nonce -d 'Nonce (default: 32 random characters)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l key -d 'Merchant private key PEM file (instead of the profile\'s)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l mchid -d 'Merchant id (instead of the profile\'s)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l serial -d 'Merchant API certificate serial number (instead of the profile\'s)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l config -d 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand sign" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -l timestamp -d 'The Wechatpay-Timestamp header' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -l nonce -d 'The Wechatpay-Nonce header' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -l signature -d 'The Wechatpay-Signature header (Base64)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -l body -d 'The body as received (default: empty)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -l body-file -d 'Read the body from this file, byte for byte' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -l public-key -d 'WeChat Pay public key PEM file, or a platform certificate\'s (instead of the profile\'s)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -l config -d 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand verify" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand completions" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand completions" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l listen -d 'Address to listen on; loopback only. Port 0 picks a free port [default: 127.0.0.1:0, or the port --state DIR used last]' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l state -d 'Keep the emulator\'s files in DIR across restarts: the key files, the coupons and the request numbers used, the downloaded certificates\' folder, and the port, so that a saved profile keeps working (without it: a temporary folder, removed when the emulator stops)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l coupons -d 'Seed the coupons from a JSON array of {coupon_code, stock_id, state[, mchid]}, or a CSV with a header (coupon_code,stock_id[,state][,mchid]; state USED when absent)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l fault -d 'Inject a fault into the next N requests: pass (none), drop-before, drop-after, delay, 500, 429, probe (repeatable, in order)' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l limit -d 'Answer 429 FREQUENCY_LIMITED, unprocessed, to every request past R in any sliding second, as WeChat Pay\'s frequency limits do' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l delay -d 'Seconds the `delay` fault holds an answer back' -r
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l signer -d 'Which key signs the answers: the WeChat Pay public key, the newest platform certificate (and GET /v3/certificates is served), or the two in turn' -r -f -a "public-key\t''
certificate\t''
switching\t''"
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l rotation -d 'Play a platform certificate rotation (with --signer certificate or switching): before (the old certificate only), during (the old one\'s expire_time moved up to 24 h from now, the new one published, in use from then), after (the new one in use, signing)' -r -f -a "before\t''
during\t''
after\t''"
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l config -d 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand emulator" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand demo" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand demo" -s v -l verbose -d 'Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand demo" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand demo" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand doctor" -l config -d 'Config file to read (overrides $WXCOUPON_CONFIG and the default location)' -r -F
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand doctor" -l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand doctor" -l json -d 'Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one per row, JSON Lines)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand config; and not __fish_seen_subcommand_from example help" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand config; and not __fish_seen_subcommand_from example help" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand config; and not __fish_seen_subcommand_from example help" -f -a "example" -d 'Print the example config (config.example.toml), to start a config file from: `wxcoupon config example > FILE`, then fill in the merchant\'s values'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand config; and not __fish_seen_subcommand_from example help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand config; and __fish_seen_subcommand_from example" -s h -l help -d 'Print help'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand config; and __fish_seen_subcommand_from example" -s V -l version -d 'Print version'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "example" -d 'Print the example config (config.example.toml), to start a config file from: `wxcoupon config example > FILE`, then fill in the merchant\'s values'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "return" -d 'Return a used coupon to the user\'s wallet (POST /v3/marketing/busifavor/coupons/return)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "certificates" -d 'Download or list the WeChat Pay platform certificates (平台证书) of the profile'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "history" -d 'What was returned, when, with which request number, by which profile (the ledger)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "explain" -d 'Explain a WeChat Pay error code offline, in Chinese and English'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "sign" -d 'Sign a request by hand and print its Authorization header (for debugging SIGN_ERROR)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "verify" -d 'Check a WeChat Pay answer\'s or callback\'s signature by hand'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "emulator" -d 'Run a local WeChat Pay stand-in for the return API (loopback only; the profile\'s merchant, a sample WeChat Pay key)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "demo" -d 'See the whole flow in seconds: returns against an in-process emulator, nothing real'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "doctor" -d 'Check a profile offline and say what is wrong'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "config" -d 'The config file: print the example to start one from'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and not __fish_seen_subcommand_from return certificates history explain sign verify completions emulator demo doctor config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and __fish_seen_subcommand_from certificates" -f -a "download" -d 'Download the platform certificates (GET /v3/certificates), check them and save them into platform_certificates_dir; needs the APIv3 key'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and __fish_seen_subcommand_from certificates" -f -a "list" -d 'List the certificates in platform_certificates_dir, offline'
complete -c wxcoupon -n "__fish_wxcoupon_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "example" -d 'Print the example config (config.example.toml), to start a config file from: `wxcoupon config example > FILE`, then fill in the merchant\'s values'
