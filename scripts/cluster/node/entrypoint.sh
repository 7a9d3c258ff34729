#!/bin/sh
# Nested dockerd. Env: NODE_INSECURE (host:port,... registries without TLS), NODE_POOL_OCTET.
# It listens on tcp 2375 without TLS: only on the cluster's own bridge network (and the manager's
# port published on 127.0.0.1 by the fixture).
set -e
mkdir -p /etc/docker
# Not --privileged (the host's bounding set lacks CAP_SYS_RESOURCE, so --privileged cannot start):
# /sys and the cgroup v1 hierarchies are made writable here instead.
if [ "$(awk '$2=="/sys"{print substr($4,1,2)}' /proc/mounts)" = ro ]; then
  mount -o remount,rw /sys 2>/dev/null || mount -o remount,bind,rw /sys || echo "WARN: /sys stays ro" >&2
fi
for m in $(awk '$3=="cgroup"{print $2}' /proc/mounts); do
  mount -o remount,bind,rw "$m" || echo "WARN: $m stays ro" >&2
done
drv=overlay2
t=/var/lib/docker/.ovl-probe; rm -rf $t; mkdir -p $t/l $t/u $t/w $t/m
if mount -t overlay overlay -o lowerdir=$t/l,upperdir=$t/u,workdir=$t/w $t/m 2>/tmp/ovl.err; then
  umount $t/m
else
  echo "overlay probe failed: $(cat /tmp/ovl.err); using vfs (slow)" >&2; drv=vfs
fi
rm -rf $t
ins=""
[ -n "$NODE_INSECURE" ] && ins=$(echo "$NODE_INSECURE" | sed 's/[^,][^,]*/"&"/g')
cat > /etc/docker/daemon.json <<J
{ "storage-driver": "$drv", "insecure-registries": [$ins],
  "default-address-pools": [{"base": "10.${NODE_POOL_OCTET:-210}.0.0/16", "size": 24}] }
J
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
# --tls=false: without it dockerd on tcp sleeps 15 s at start ("intentionally being slowed down").
exec dockerd -H unix:///var/run/docker.sock -H tcp://0.0.0.0:2375 --tls=false "$@"
