#!/usr/bin/env bash
# dist-check.sh — install and run each artifact scripts/dist.sh left in dist/, as a user would:
#   1. the checksums (sha256sum -c SHA256SUMS);
#   2. the static binary, from an empty folder with an empty environment: --version, demo,
#      and a return over HTTPS to the emulator behind a local CA, by host name — once by
#      "localhost", once (where a mount namespace can be made) by api.mch.weixin.qq.com
#      from a private /etc/hosts, with an nsswitch.conf that names modules a static binary
#      must not load; and that without the local CA it refuses the server and sends nothing;
#   3. the .deb: dpkg -i on a clean state, wxcoupon demo, man wxcoupon, a bash completion,
#      lintian where it is installed, then dpkg -r and nothing of it left;
#   4. the container image, when dist.sh built one: --version, demo and the same HTTPS return,
#      with podman.
# Needs root for dpkg (uses sudo otherwise), openssl and socat (the TLS front), man-db,
# python3, util-linux (unshare), and podman for the image. DIST_REQUIRE_IMAGE=1 (the release
# workflow): fail when dist/ has no image.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf 'dist-check: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "needs $1 ($2)"; }
need openssl "makes the local CA"
need socat "the TLS front of the emulator"
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
bin="$root/dist/wxcoupon-$version-linux-x86_64"
deb="$root/dist/wxcoupon_${version}-1_amd64.deb"
image="$root/dist/wxcoupon-$version-oci.tar"
if [ ! -x "$bin" ] || [ ! -f "$deb" ]; then
  fail "no artifacts for $version in dist/: run scripts/dist.sh first"
fi

work=$(mktemp -d)
pids=()
installed=0
cleanup() {
  # A check that failed after dpkg -i leaves no package behind.
  if [ "$installed" = 1 ]; then "${sudo[@]}" dpkg -r wxcoupon > /dev/null 2>&1 || true; fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Rootless podman's storage holds files of the user namespace's ids.
  rm -rf "$work" 2>/dev/null || podman unshare rm -rf "$work"
}
trap cleanup EXIT

# --- 1. checksums ------------------------------------------------------------------------
(cd dist && sha256sum --check --strict --quiet SHA256SUMS) || fail "dist/SHA256SUMS does not match"
for f in dist/*.sha256; do (cd dist && sha256sum --check --strict --quiet "$(basename "$f")"); done
say "checksums: ok"

# --- a local CA, the emulator, and a TLS front -------------------------------------------
# Throwaway: made here, removed at the end. The leaf names both host names the checks use.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wxcoupon dist-check CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$work/leaf.key" -out "$work/leaf.csr" 2>/dev/null
printf '%s\n' "subjectAltName=DNS:localhost,DNS:api.mch.weixin.qq.com" \
  "basicConstraints=critical,CA:FALSE" "extendedKeyUsage=serverAuth" > "$work/leaf.ext"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -days 2 -extfile "$work/leaf.ext" -out "$work/leaf.pem" 2>/dev/null

# The emulator is the static binary's own, with no config: the built-in sample merchant.
mkfifo "$work/emulator.out"
env -i HOME="$work" "$bin" emulator > "$work/emulator.out" 2> "$work/emulator.log" &
pids+=($!)
exec 3< "$work/emulator.out"
: > "$work/emulator.toml"
while IFS= read -r line <&3; do
  printf '%s\n' "$line" >> "$work/emulator.toml"
  case $line in base_url*) break ;; esac
done
backend=$(sed -n 's/^base_url = "http:\/\/\(.*\)"$/\1/p' "$work/emulator.toml")
[ -n "$backend" ] || fail "the emulator did not start: $(cat "$work/emulator.log")"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
socat "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,cert=$work/leaf.pem,key=$work/leaf.key,verify=0" \
  "TCP:$backend" 2> "$work/socat.log" &
pids+=($!)
up=0
for _ in $(seq 100); do
  if (exec 4<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
  sleep 0.1
done
[ "$up" = 1 ] || fail "socat did not listen on 127.0.0.1:$port: $(cat "$work/socat.log")"

# A profile for a host name over HTTPS, the key files readable by whoever runs it.
mkdir -m 0755 "$work/run"
key_dir=$(sed -n 's/^private_key_file = "\(.*\)\/[^/]*"$/\1/p' "$work/emulator.toml")
cp "$key_dir"/*.pem "$work/ca.pem" "$work/run/"
chmod 0600 "$work/run"/*.pem
profile() { # profile HOST [CA_LINE] > file
  sed -e "s#$key_dir#$work/run#" -e "s#^base_url = .*#base_url = \"https://$1:$port\"#" \
    "$work/emulator.toml"
  [ -z "${2:-}" ] || printf '%s\n' "$2"
}
profile localhost "ca_file = \"$work/run/ca.pem\"" > "$work/run/localhost.toml"
profile localhost > "$work/run/no-ca.toml"

# --- 2. the static binary ----------------------------------------------------------------
empty="$work/empty"
mkdir "$empty"
in_empty() { (cd "$empty" && env -i "$@"); }
in_empty "$bin" --version > "$work/out" || fail "static: --version"
grep -q "^wxcoupon $version (" "$work/out" || fail "static: --version said $(cat "$work/out")"
in_empty "$bin" --version --json | grep -q '"linkage":"static"' || fail "static: --version --json is not static"
in_empty "$bin" demo > "$work/out" 2>&1 || fail "static: demo: $(tail -5 "$work/out")"
[ -z "$(ls -A "$empty")" ] || fail "static: demo left files in the current folder: $(ls -A "$empty")"

returned() { # returned LABEL CMD...: a return that must come back "returned", exit 0
  local label=$1
  shift
  local code=0
  "$@" > "$work/out" 2> "$work/err" || code=$?
  [ "$code" = 0 ] || fail "$label: exit $code — $(cat "$work/out" "$work/err")"
  grep -q '"outcome":"returned"' "$work/out" || fail "$label: $(cat "$work/out")"
  say "$label: returned over HTTPS"
}
# The sample merchant has three used coupons: one for each return that must succeed.
return_args=(return --no-ledger --json --stock 9856000 --code)
returned "static, https://localhost" in_empty "$bin" --config "$work/run/localhost.toml" "${return_args[@]}" COUPON-USED-1
set +e
in_empty "$bin" --config "$work/run/no-ca.toml" "${return_args[@]}" COUPON-USED-2 > "$work/out" 2>&1
code=$?
set -e
# Exit 4 (outcome unknown: no answer), the handshake refused for an unknown issuer.
if [ "$code" != 4 ] || ! grep -q '"http_status":null' "$work/out" || ! grep -q 'UnknownIssuer' "$work/out"; then
  fail "static: a server of an unknown CA was not refused (exit $code): $(cat "$work/out")"
fi
say "static: without ca_file the local CA's server is refused (exit 4, UnknownIssuer)"

# By the real host name, from a private /etc/hosts, with an nsswitch.conf naming modules
# (myhostname, mdns4_minimal, resolve) that a static binary must not load: it reads only
# files and dns. Needs a mount namespace (root, or unprivileged user namespaces).
printf '127.0.0.1 localhost\n127.0.0.1 api.mch.weixin.qq.com\n' > "$work/hosts"
printf 'hosts: myhostname mdns4_minimal [NOTFOUND=return] resolve files dns\n' > "$work/nsswitch.conf"
profile api.mch.weixin.qq.com "ca_file = \"$work/run/ca.pem\"" > "$work/run/real-name.toml"
if "${sudo[@]}" unshare -m true 2>/dev/null; then
  # shellcheck disable=SC2016 # the inner shell expands its own arguments
  returned "static, https://api.mch.weixin.qq.com from /etc/hosts" "${sudo[@]}" unshare -m sh -c '
    mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/nsswitch.conf && shift 2 &&
    cd "$0" && exec env -i "$@"' "$empty" "$work/hosts" "$work/nsswitch.conf" \
    "$bin" --config "$work/run/real-name.toml" "${return_args[@]}" COUPON-USED-2
else
  say "static: no mount namespace here (unshare -m): the /etc/hosts check is skipped"
fi

# --- 3. the Debian package ---------------------------------------------------------------
status() { dpkg-query -W -f '${Status}' wxcoupon 2>/dev/null || true; }
case $(status) in
  "" | "unknown ok not-installed" | *" not-installed") ;;
  *) fail "deb: dpkg knows wxcoupon here ($(status)); dpkg --purge wxcoupon first (the check needs a clean state)" ;;
esac
for path in /usr/bin/wxcoupon /usr/share/doc/wxcoupon; do
  [ ! -e "$path" ] || fail "deb: $path exists before the install (not a clean state)"
done
installed=1
# Minimal images (Docker's Debian and Ubuntu, some CI runners) tell dpkg to leave out
# /usr/share/man; the check installs the man pages whatever this system's dpkg.cfg says.
"${sudo[@]}" dpkg --path-include='/usr/share/man/*' -i "$deb" > "$work/dpkg.log" 2>&1 ||
  fail "deb: dpkg -i: $(cat "$work/dpkg.log")"
dpkg-query -L wxcoupon > "$work/files"
for path in /usr/bin/wxcoupon /usr/share/man/man1/wxcoupon.1.gz /usr/share/man/man1/wxcoupon-return.1.gz \
  /usr/share/bash-completion/completions/wxcoupon /usr/share/zsh/vendor-completions/_wxcoupon \
  /usr/share/fish/vendor_completions.d/wxcoupon.fish /usr/share/doc/wxcoupon/copyright \
  /usr/share/doc/wxcoupon/examples/config.example.toml; do
  if ! grep -qx "$path" "$work/files" || [ ! -f "$path" ]; then fail "deb: $path is not installed"; fi
done
# As a user fresh on this machine: a system PATH and an empty HOME, so that nothing of a
# developer's own (~/.cargo/bin, ~/.cargo/share/man, ~/.local/share/bash-completion) answers
# in the package's place.
mkdir "$work/home"
as_new_user() { env -i HOME="$work/home" PATH=/usr/local/bin:/usr/bin:/bin TERM=dumb "$@"; }
found=$(as_new_user sh -c 'command -v wxcoupon')
[ "$found" = /usr/bin/wxcoupon ] || fail "deb: wxcoupon on a system PATH is $found"
(cd "$empty" && as_new_user wxcoupon demo > "$work/out" 2>&1) || fail "deb: wxcoupon demo: $(tail -5 "$work/out")"
as_new_user MANPAGER=cat MANWIDTH=80 man wxcoupon > "$work/man" 2> "$work/man.err" ||
  fail "deb: man wxcoupon: $(cat "$work/man.err")"
grep -q 'EXIT STATUS' "$work/man" || fail "deb: man wxcoupon has no EXIT STATUS section"
as_new_user MANPAGER=cat man -w wxcoupon-return > "$work/man.path" 2>&1 || fail "deb: man wxcoupon-return"
[ "$(cat "$work/man.path")" = /usr/share/man/man1/wxcoupon-return.1.gz ] ||
  fail "deb: man wxcoupon-return reads $(cat "$work/man.path")"
# Completion as bash finds it: bash-completion's loader, from the package's own path.
cat > "$work/complete.bash" <<'EOF'
if [ -f /usr/share/bash-completion/bash_completion ]; then
  . /usr/share/bash-completion/bash_completion
  __load_completion wxcoupon || _completion_loader wxcoupon
else
  . /usr/share/bash-completion/completions/wxcoupon
fi
COMP_WORDS=(wxcoupon ret)
COMP_CWORD=1
COMP_LINE="wxcoupon ret"
COMP_POINT=${#COMP_LINE}
_wxcoupon wxcoupon ret wxcoupon
printf '%s\n' "${COMPREPLY[@]}"
EOF
completion=$(as_new_user bash --norc "$work/complete.bash" 2>&1) || fail "deb: bash completion: $completion"
[ "$completion" = return ] || fail "deb: bash completion of 'wxcoupon ret' gave: $completion"
if command -v lintian >/dev/null 2>&1; then
  lintian --fail-on error,warning "$deb" > "$work/lintian" 2>&1 || fail "deb: lintian: $(cat "$work/lintian")"
fi
"${sudo[@]}" dpkg -r wxcoupon > "$work/dpkg.log" 2>&1 || fail "deb: dpkg -r: $(cat "$work/dpkg.log")"
installed=0
case $(status) in
  "" | *" not-installed") ;;
  *) fail "deb: after dpkg -r, dpkg says: $(status)" ;;
esac
while IFS= read -r path; do
  case $path in
    /. | /usr | /usr/bin | /usr/share | /usr/share/man | /usr/share/man/man1 | /usr/share/doc | \
      /usr/share/bash-completion | /usr/share/bash-completion/completions | /usr/share/zsh | \
      /usr/share/zsh/vendor-completions | /usr/share/fish | /usr/share/fish/vendor_completions.d | \
      /usr/share/lintian | /usr/share/lintian/overrides) continue ;; # shared with other packages
  esac
  [ ! -e "$path" ] || fail "deb: dpkg -r left $path"
done < "$work/files"
say "deb: installed, demo, man, bash completion$(command -v lintian >/dev/null && echo ', lintian'), removed cleanly"

# --- 4. the container image --------------------------------------------------------------
if [ ! -f "$image" ]; then
  if [ "${DIST_REQUIRE_IMAGE:-}" = 1 ]; then fail "container: no image in dist/ (DIST_REQUIRE_IMAGE=1)"; fi
  say "container: no image in dist/ (dist.sh could not build one); not run"
  say "all checks passed"
  exit 0
fi
need podman "runs the image"
layers=$(tar -xOf "$image" index.json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["manifests"]))')
[ "$layers" = 1 ] || fail "container: $image holds $layers manifests, expected 1"
# A storage of its own, removed with $work: the user's images and volumes are not touched.
podman=(podman --root "$work/containers" --runroot "$work/containers-run" --storage-driver vfs)
"${podman[@]}" load -i "$image" > "$work/load" 2>&1 || fail "container: podman load: $(cat "$work/load")"
ref=localhost/wxcoupon:$version
grep -qx "Loaded image: $ref" "$work/load" || fail "container: podman load said: $(cat "$work/load")"
# Plain podman first; a sandbox without cgroup v2 or rlimit rights needs runc, cgroupfs, this
# shell's own file limit and a process limit it may set (the image runs one process).
run=("${podman[@]}" run --rm --network host)
if ! "${run[@]}" "$ref" --version > "$work/out" 2> "$work/err"; then
  run=("${podman[@]}" --runtime runc --cgroup-manager cgroupfs run --rm --network host
    --ulimit "nofile=$(ulimit -n):$(ulimit -Hn)" --ulimit nproc=1024:1024)
  "${run[@]}" "$ref" --version > "$work/out" 2> "$work/err" || fail "container: podman run: $(tail -3 "$work/err")"
fi
grep -q "^wxcoupon $version (" "$work/out" || fail "container: --version said $(cat "$work/out")"
"${run[@]}" "$ref" demo > "$work/out" 2> "$work/err" || fail "container: demo: $(tail -5 "$work/out" "$work/err")"
# As the README says: run as yourself (--user your ids; rootless podman also --userns keep-id),
# so that your 0600 keys, mounted read-only, are readable; and a folder of yours at /state
# for the ledger.
as_you=(--user "$(id -u):$(id -g)")
if [ "$("${podman[@]}" info --format '{{.Host.Security.Rootless}}')" = true ]; then
  as_you+=(--userns keep-id)
fi
mkdir "$work/state"
returned "container, https://localhost" "${run[@]}" "${as_you[@]}" -v "$work/run:$work/run:ro" \
  -e "WXCOUPON_CONFIG=$work/run/localhost.toml" -v "$work/state:/state" \
  "$ref" return --json --stock 9856000 --code COUPON-USED-3
"${run[@]}" "${as_you[@]}" -v "$work/state:/state" "$ref" history --code COUPON-USED-3 > "$work/out" 2>&1 ||
  fail "container: history: $(cat "$work/out")"
grep -q COUPON-USED-3 "$work/out" || fail "container: the ledger in /state has no COUPON-USED-3: $(cat "$work/out")"
say "container: podman load, --version, demo, a return over HTTPS with its ledger in /state"
say "all checks passed"
