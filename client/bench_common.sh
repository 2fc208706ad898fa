# Sourced by the benchmark scripts: the helpers they share.

# free_port → a TCP port on 127.0.0.1 that nothing was bound to a moment ago
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# median FILE KEY → the median of KEY=value over the lines of FILE
median() {
  grep -o "$2=[0-9.]*" "$1" | cut -d= -f2 | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
