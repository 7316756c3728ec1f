#!/usr/bin/env bash
# Shared settings and helpers of the peer scripts (Postfix, Dovecot) and the comparison runs; sourced, not run.
#
# Everything lives under $BENCH_ROOT, apart from the Debian packages and one system user (vmail):
#   $BENCH_ROOT/mail/<domain>/<prefix>N/    Maildir of each bench user, owned by vmail, shared by Postfix and Dovecot
#   $BENCH_ROOT/postfix/{etc,spool,data}    a private Postfix instance (its own main.cf/master.cf/queue)
#   $BENCH_ROOT/dovecot/                    a private Dovecot instance (config, passwd-file, run dir, log)

BENCH_ROOT=${BENCH_ROOT:-/var/lib/quill-bench}
BENCH_DOMAIN=${BENCH_DOMAIN:-example.test}
BENCH_PREFIX=${BENCH_PREFIX:-user}
BENCH_USERS=${BENCH_USERS:-1000}
BENCH_PASSWORD=${BENCH_PASSWORD:-pw}
MAIL_ROOT=$BENCH_ROOT/mail
VMAIL_USER=vmail

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts daemons)"
}

# apt_install PKG... : installs missing Debian packages without starting their services.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if ! apt-cache show "${missing[0]}" >/dev/null 2>&1; then
    apt-get update -q >&2 # package lists not fetched yet on this machine
  fi
  # Keep the packages' own init scripts from starting default instances (on ports 25/110/143):
  # a policy-rc.d that denies, created only if there is none, removed only if we created it.
  local created_policy=no
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=yes
  fi
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || {
    [ "$created_policy" = yes ] && rm -f /usr/sbin/policy-rc.d
    die "apt-get install ${missing[*]} failed"
  }
  [ "$created_policy" = yes ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# ensure_vmail: the single system user owning every bench Maildir; sets VMAIL_UID and VMAIL_GID.
ensure_vmail() {
  if ! id -u "$VMAIL_USER" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$MAIL_ROOT" --no-create-home --shell /usr/sbin/nologin "$VMAIL_USER"
  fi
  VMAIL_UID=$(id -u "$VMAIL_USER")
  VMAIL_GID=$(id -g "$VMAIL_USER")
  mkdir -p "$MAIL_ROOT/$BENCH_DOMAIN"
  chown "$VMAIL_USER:$VMAIL_USER" "$MAIL_ROOT" "$MAIL_ROOT/$BENCH_DOMAIN"
}

# ensure_maildirs: creates <prefix>1..N Maildirs (new, cur, tmp) that do not exist yet.
ensure_maildirs() {
  local i d
  for ((i = 1; i <= BENCH_USERS; i++)); do
    d=$MAIL_ROOT/$BENCH_DOMAIN/$BENCH_PREFIX$i
    [ -d "$d/tmp" ] || mkdir -p "$d/new" "$d/cur" "$d/tmp"
  done
  chown -R "$VMAIL_USER:$VMAIL_USER" "$MAIL_ROOT/$BENCH_DOMAIN"
}

# wait_port PORT SECONDS: waits until something listens on 127.0.0.1:PORT.
wait_port() {
  local port=$1 limit=$2 i
  for ((i = 0; i < limit * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
