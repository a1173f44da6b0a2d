# Runs inside the KUnit guest after /init loaded kunit.ko, xen_slab_cache.ko,
# xen_slab_netfront.ko and the KUnit suites (which ran at load and printed KTAP).
t() { if eval "$2"; then echo "XSC-TEST: ok $1"; else echo "XSC-TEST: not ok $1"; fi; }
t unload-suites 'rmmod xen_slab_cache_kunit'
t unload-netfront-suites 'rmmod xsn_netfront_kunit'
t unload-netfront-module 'rmmod xen_slab_netfront'
# A write of a module parameter while the module goes (see the probe).
t unload-probe-loads 'insmod /xsc_unload_probe.ko'
t unload-cache-module 'rmmod xen_slab_cache'
t unload-probe-unloads 'rmmod xsc_unload_probe'
