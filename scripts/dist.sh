#!/usr/bin/env bash
# dist.sh — build wxcoupon's release artifacts into dist/:
#   wxcoupon-VERSION-linux-x86_64           the static binary (glibc linked in), stripped
#   wxcoupon_VERSION-1_amd64.deb            binary, man pages, completions, example config
#   wxcoupon-VERSION-oci.tar                a FROM-scratch image (OCI archive), when buildah can
#                                           build here; else packaging/Containerfile is checked
#   each with a .sha256 file, and SHA256SUMS over them all.
# Fails, naming the check, when the binary is not static, is over 4 MiB, or does not run.
# Then: scripts/dist-check.sh installs and runs each one.
# DIST_REQUIRE_IMAGE=1 (the release workflow): fail when the image cannot be built, rather
# than ship two artifacts of three.
#
# Needs: cargo, git, dpkg-deb, gzip, sha256sum, readelf (binutils); buildah for the image.
# Reproducible for one commit and toolchain: times come from the commit (SOURCE_DATE_EPOCH).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf 'dist: %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 1; }

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || fail "no version in Cargo.toml"
triple=x86_64-unknown-linux-gnu
[ "$(uname -m)" = x86_64 ] || fail "builds the x86_64 artifacts on an x86_64 machine only (this is $(uname -m))"
max_size=$((4 * 1024 * 1024))
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

rm -rf dist
mkdir dist

# --- the static binary -------------------------------------------------------------------
# glibc linked in (crt-static), no position-independent code (ldd: "not a dynamic
# executable"); --target keeps these flags off build scripts. Host names: glibc's own
# files+dns, pinned in main.rs (see README, "Install").
say "building the static binary ($triple, release profile)"
target_dir=${CARGO_TARGET_DIR:-target}
# CARGO_ENCODED_RUSTFLAGS (one flag per 0x1f-separated field): paths with spaces stay whole,
# and a RUSTFLAGS of the caller's (CI's -D warnings) is kept rather than silently replacing ours.
flags=(-C target-feature=+crt-static -C relocation-model=static
  "--remap-path-prefix=$root=wxcoupon" "--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=cargo")
read -r -a theirs <<< "${RUSTFLAGS:-}"
sep=$'\x1f'
encoded=
for f in "${theirs[@]}" "${flags[@]}"; do encoded+="${encoded:+$sep}$f"; done
CARGO_ENCODED_RUSTFLAGS=$encoded cargo build --release --locked --target "$triple"
built="$target_dir/$triple/release/wxcoupon"
bin="dist/wxcoupon-$version-linux-x86_64"
cp "$built" "$bin"
chmod 0755 "$bin"

if ldd "$bin" >/dev/null 2>&1; then
  fail "$bin is dynamically linked: $(ldd "$bin" 2>&1 | tr '\n' ' ')"
fi
case $(ldd "$bin" 2>&1) in
  *"not a dynamic executable"*) ;;
  *) fail "ldd does not call $bin static: $(ldd "$bin" 2>&1)" ;;
esac
size=$(stat -c %s "$bin")
[ "$size" -le "$max_size" ] || fail "$bin is $size bytes, over the 4 MiB ($max_size) budget"
if readelf -S "$bin" | grep -q '\.symtab'; then fail "$bin is not stripped"; fi
"$bin" --version >/dev/null || fail "$bin --version failed"
say "$bin: $size bytes, static, stripped; $("$bin" --version)"

# --- the Debian package ------------------------------------------------------------------
deb_version="$version-1"
deb="dist/wxcoupon_${deb_version}_amd64.deb"
pkg=$(mktemp -d)
ctx=$(mktemp -d)
trap 'rm -rf "$pkg" "$ctx"' EXIT
put() { # put MODE SOURCE DEST: one file into the package tree
  install -D -m "$1" "$2" "$pkg/$3"
}
put 0755 "$bin" usr/bin/wxcoupon
for page in man/*.1; do
  name=$(basename "$page")
  install -d "$pkg/usr/share/man/man1"
  gzip -9n < "$page" > "$pkg/usr/share/man/man1/$name.gz"
done
put 0644 completions/wxcoupon.bash usr/share/bash-completion/completions/wxcoupon
put 0644 completions/_wxcoupon usr/share/zsh/vendor-completions/_wxcoupon
put 0644 completions/wxcoupon.fish usr/share/fish/vendor_completions.d/wxcoupon.fish
put 0644 config.example.toml usr/share/doc/wxcoupon/examples/config.example.toml
put 0644 packaging/deb/copyright usr/share/doc/wxcoupon/copyright
put 0644 packaging/deb/lintian-overrides usr/share/lintian/overrides/wxcoupon
gzip -9n < README.md > "$pkg/usr/share/doc/wxcoupon/README.md.gz"
chmod 0644 "$pkg/usr/share/doc/wxcoupon/README.md.gz" "$pkg"/usr/share/man/man1/*.gz
date_rfc=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
maintainer=${DEB_MAINTAINER:-"wxcoupon developers <wxcoupon@users.noreply.github.com>"}
{
  printf 'wxcoupon (%s) unstable; urgency=medium\n\n' "$deb_version"
  printf '  * Release %s: %s\n\n' "$version" "$("$bin" --version)"
  printf ' -- %s  %s\n' "$maintainer" "$date_rfc"
} | gzip -9n > "$pkg/usr/share/doc/wxcoupon/changelog.Debian.gz"
chmod 0644 "$pkg/usr/share/doc/wxcoupon/changelog.Debian.gz"
find "$pkg" -type d -exec chmod 0755 {} +
install -d -m 0755 "$pkg/DEBIAN"
installed_size=$(du -k -s --apparent-size "$pkg" | cut -f1)
# Bash's own replacement, not sed: a maintainer's name may hold / or &.
shopt -u patsub_replacement 2>/dev/null || true
control=$(< packaging/deb/control.in)
control=${control//@VERSION@/$deb_version}
control=${control//@INSTALLED_SIZE@/$installed_size}
control=${control//@MAINTAINER@/$maintainer}
printf '%s\n' "$control" > "$pkg/DEBIAN/control"
(cd "$pkg" && find usr -type f | LC_ALL=C sort | xargs md5sum) > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"
find "$pkg" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
say "$deb: $(stat -c %s "$deb") bytes, $(dpkg-deb -c "$deb" | grep -vc '/$') files"

# --- the container image -----------------------------------------------------------------
# FROM scratch: the binary and nothing else. buildah needs no daemon; where it cannot build
# (not installed, no user namespaces), the Containerfile is still checked for what the image
# must be.
image="dist/wxcoupon-$version-oci.tar"
check_containerfile() {
  local f=packaging/Containerfile
  grep -qx 'FROM scratch' "$f" || fail "$f: the image must be FROM scratch"
  [ "$(grep -c '^COPY ' "$f")" = 1 ] || fail "$f: one COPY (the binary) and nothing else"
  grep -qx 'COPY wxcoupon /usr/bin/wxcoupon' "$f" || fail "$f: COPY wxcoupon /usr/bin/wxcoupon"
  grep -q '^RUN' "$f" && fail "$f: no RUN in a scratch image (there is no shell)"
  grep -qx 'ENTRYPOINT \["/usr/bin/wxcoupon"\]' "$f" || fail "$f: ENTRYPOINT [\"/usr/bin/wxcoupon\"]"
  grep -q '^USER [1-9]' "$f" || fail "$f: the image must not run as root"
  return 0
}
check_containerfile
no_image() {
  rm -f "$image"
  if [ "${DIST_REQUIRE_IMAGE:-}" = 1 ]; then fail "$1 (DIST_REQUIRE_IMAGE=1)"; fi
  say "$1; packaging/Containerfile checked instead"
}
if command -v buildah >/dev/null 2>&1; then
  cp "$bin" "$ctx/wxcoupon"
  storage=(--storage-driver vfs)
  if buildah "${storage[@]}" build --quiet --isolation chroot --timestamp "$SOURCE_DATE_EPOCH" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
    --label "org.opencontainers.image.title=wxcoupon" \
    -f packaging/Containerfile -t "localhost/wxcoupon:$version" "$ctx" >/dev/null &&
    buildah "${storage[@]}" push --quiet "localhost/wxcoupon:$version" "oci-archive:$image:wxcoupon:$version"; then
    say "$image: $(stat -c %s "$image") bytes"
  else
    no_image "buildah could not build the image here"
  fi
  # The archive is the artifact: nothing is left in the container storage.
  buildah "${storage[@]}" rmi --force "localhost/wxcoupon:$version" >/dev/null 2>&1 || true
else
  no_image "no buildah: the image is not built"
fi

# --- checksums ---------------------------------------------------------------------------
(
  cd dist
  artifacts=(*)
  for f in "${artifacts[@]}"; do sha256sum "$f" > "$f.sha256"; done
  sha256sum -- "${artifacts[@]}" > SHA256SUMS
)
say "done: $(cd dist && printf '%s ' *)"
