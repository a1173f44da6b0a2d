// SPDX-License-Identifier: GPL-2.0
//
// The core of xen_slab_cache: its one translation unit, built by Kbuild
// (xen_slab_cache-y) and by the host tests and benchmarks.  The parts, each
// owning one lock or one regime:
//
//   cache.hpp      the Cache class
//   xsc_front.h    the inline fast paths that the entry points run (C),
//                  on the layout CpuCache, Magazine and Cache begin with
//   cpu_cache.hpp  per-CPU front end's types: CpuCache, the hint protocol
//                  (SlabHints), the slab table
//   fast_paths.hpp the Cache's side of the hint protocol (no lock: the
//                  CPU's own data), the fast paths for the host benchmarks
//   depot.cpp      the depot (depot.hpp): full and empty magazines (the depot lock)
//   slabs.cpp      the slab layer: slabs, bins, cursor, counts, lookups (the slab lock)
//   cache.cpp      lifecycle, get/put orchestration, the cap, stats, audit
//   reclaim.cpp    monitor pass, flush, purge, CPU dead, shrinker
//   api.cpp        the C API and the shim's entry points
//
// Lock order (outermost first), in the style of mm/slub.c:
//
//   1. xsc_caches_lock (a mutex in main.c: the list of caches).  CPU-dead
//      handling, debugfs and the shrinker call into caches under it (the
//      shrinker only trylocks it); the monitor pins one cache at a time
//      and trims it without it.
//   2. The slab lock: the cache's own spinlock (interrupts off), or the
//      caller's lock through acquire_lock/release_lock (held already when
//      an entry point says locked).  Guards the slabs, bins, cursor,
//      bitmaps and counts (XSC_GUARDED_BY its capability,
//      Cache::SlabLockName).  Nothing else of the cache is locked under it.
//   2'. The depot lock (a spinlock, interrupts off): the depot's full and
//      empty magazine lists.  Never held together with the slab lock.
//   3. A CPU section: xsc_cpu_enter() (interrupts off) around slow-path and
//      bulk magazine work, or the inline fast paths (preemption off and the
//      CPU's re-entry guard, xsc_front_trylock(), which an interrupt that
//      lands inside finds held and then serves itself from the slabs).
//      The depot lock may be taken inside a section (exchanging
//      magazines); the slab lock never is: the slow paths leave the section
//      before they reach the slabs.  flush_cpu() runs in a section on its
//      CPU and takes no lock.
//
// Constructors run with no lock of the cache held (the caller's, if it
// called with locked); destructors run with no lock at all, in process
// context (the monitor, the shrinker, purge, destroy), or in the context
// of the put that empties a slab under the pre-2019 policy.

#include "fast_paths.hpp"

#include "depot.cpp"
#include "slabs.cpp"
#include "cache.cpp"
#include "reclaim.cpp"
#include "api.cpp"
