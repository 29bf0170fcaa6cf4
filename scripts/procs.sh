# scripts/procs.sh, sourced by load-run and device-run: what the kernel counts of a process,
# and what a server's /metrics says.
# ticks PID: its CPU time so far, user and system, in clock ticks (getconf CLK_TCK a second).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# busy: the CPU time every core has spent on this machine's work so far (/proc/stat's user,
# nice, system, irq and softirq: not idle, I/O wait or time stolen by the host), in clock ticks.
busy() { awk '$1 == "cpu" { printf "%.0f\n", $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }
# waited PID...: nanoseconds the processes' threads have spent runnable but waiting for a core
# (schedstat's second field), summed; "-" where the kernel keeps none. A thread that ends takes
# its share with it. %.0f, not %d: mawk's %d stops at 2^31-1.
waited() { { cat $(for p in "$@"; do echo /proc/"$p"/task/*/schedstat; done) 2>/dev/null || true; } |
  awk '{ t += $2 } END { if (NR) printf "%.0f", t; else print "-" }'; }
# scrape PORT: the /metrics exposition of the Watchfloor on loopback PORT (no headers), or nothing.
scrape() { (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null | tr -d '\r' | sed '1,/^$/d'; }
