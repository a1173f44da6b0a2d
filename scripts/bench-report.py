#!/usr/bin/env python3
"""Print the xsc_bench tables of several guests side by side.

Usage: bench-report.py GUEST=CONSOLE.LOG...

Reads the `XSC-BENCH:` lines that tests/bench/xsc_bench.ko printed on each
guest's console and prints, per object size, one row per workload and
allocator with a column per guest (ns per object: median [min..max], and the
median's ratio to xen_slab_cache's own in the same boot), then the performance
targets with their measured values, then where xen_slab_cache served the
objects.  Exit status 1 when a guest printed no complete table.
"""
import re
import sys

ROW = re.compile(r'XSC-BENCH: row (.*)$')
BEGIN = re.compile(r'XSC-BENCH: begin (.*)$')
END = re.compile(r'XSC-BENCH: end guest=\S+ status=(-?\d+)')
SIZE = re.compile(r'XSC-BENCH: size=(\d+) ')
PATHS = re.compile(r'XSC-BENCH: paths (.*)$')
COMPONENT = re.compile(r'XSC-BENCH: component (.*)$')
STAMP = re.compile(r'^\[\s*\d+\.\d+\]\s*')

WORKLOADS = ['pair', 'bulk16', 'bulk64', 'deep', 'prodcons']
ALLOCS = ['xsc', 'xsc-nomag', 'xsc-2019', 'xsc-direct', 'kmem_cache', 'mempool', 'page_pool', 'alloc_page']


def kv(text):
    return dict(p.split('=', 1) for p in text.split() if '=' in p)


def parse(path):
    rows, paths, begin, status, size = {}, [], {}, None, None
    comps = {}
    with open(path, 'rb') as f:
        for raw in f.read().decode('utf-8', 'replace').splitlines():
            line = STAMP.sub('', raw.replace('\r', ''))
            m = BEGIN.search(line)
            if m:
                begin = kv(m.group(1))
            m = SIZE.search(line)
            if m:
                size = int(m.group(1))
            m = ROW.search(line)
            if m:
                r = kv(m.group(1))
                rows[(int(r['size']), r['workload'], r['alloc'])] = r
            m = PATHS.search(line)
            if m:
                paths.append((size, kv(m.group(1))))
            m = COMPONENT.search(line)
            if m:
                c = kv(m.group(1))
                comps[c['name']] = c
            m = END.search(line)
            if m:
                status = int(m.group(1))
    begin['components'] = comps
    return rows, paths, begin, status


def cell(r):
    if r is None:
        return '-'
    if r.get('valid') != '1':
        return 'failed'
    d = int(r.get('discarded', '0'))
    return f"{r['median_ns']} [{r['min_ns']}..{r['max_ns']}] x{r['ratio_to_xsc']}" + (f' d{d}' if d else '')


def median(rows, size, w, a):
    r = rows.get((size, w, a))
    if r is None or r.get('valid') != '1':
        return None
    return float(r['median_ns'])


def begin_of(guests, name):
    return next((g[3] for g in guests if g[0] == name), {})


def main():
    guests = []
    for arg in sys.argv[1:]:
        name, _, path = arg.partition('=')
        try:
            guests.append((name, *parse(path)))
        except OSError as e:
            print(f'# {name}: {e}')
            guests.append((name, {}, [], {'components': {}}, None))
    bad = False
    for name, rows, _, begin, status in guests:
        if status != 0:
            print(f'# {name}: no complete table (status {status})')
            bad = True
        elif begin:
            print(f"# {name}: {begin.get('cpus')} CPUs, {begin.get('reps')} samples per cell,"
                  f" {begin.get('iters')} objects per sample, deep working set"
                  f" {begin.get('deep_objects')} (a quarter for pages),"
                  f" {begin.get('pc_objects')} objects per producer/consumer sample")

    sizes = sorted({k[0] for g in guests for k in g[1]})
    width = 38
    for size in sizes:
        print()
        print(f'== {size}-byte objects: ns per object, median [min..max]; xN.NN = median / xsc median, same boot;'
              ' dN = N disturbed producer/consumer samples run again')
        print(f"{'workload':<9} {'allocator':<11}" + ''.join(f' | {g[0]:<{width}}' for g in guests))
        for w in WORKLOADS:
            for a in ALLOCS:
                cells = [g[1].get((size, w, a)) for g in guests]
                if all(c is None for c in cells):
                    continue
                print(f'{w:<9} {a:<11}' + ''.join(f' | {cell(c):<{width}}' for c in cells))

    print()
    print('== building blocks of a get+put pair: ns per operation, median [min..max]')
    width2 = 24
    names = []
    for g in guests:
        names += [n for n in g[3]['components'] if n not in names]
    width1 = max([22] + [len(n) for n in names])
    print(f"{'operation':<{width1}}" + ''.join(f' | {g[0]:<{width2}}' for g in guests))
    for n in names:
        cells = []
        for g in guests:
            c = g[3]['components'].get(n)
            cells.append(f"{c['median_ns']} [{c['min_ns']}..{c['max_ns']}]" if c else '-')
        print(f'{n:<{width1}}' + ''.join(f' | {c:<{width2}}' for c in cells))

    print()
    print('== targets (measured on the medians of each boot)')
    checks = [
        ('pair', 'xsc', 'kmem_cache', 'magazine-hit pair: xsc / kmem_cache time', 1.0),
        ('bulk16', 'xsc', 'kmem_cache', 'bulk 16: xsc / kmem_cache bulk time', 1.0),
        ('bulk64', 'xsc', 'kmem_cache', 'bulk 64: xsc / kmem_cache bulk time', 1.0),
        # Page-sized objects against the allocator xen-netfront uses for
        # its rx pages (page_pool: only page-sized rows have it), like for
        # like: both with bottom halves off, xen_slab_cache through its
        # variants for that context (xsc-direct), as page_pool through
        # page_pool_recycle_direct().  The general API's ratios follow,
        # without a goal.
        ('bulk16', 'xsc-direct', 'page_pool', 'page_pool bulk 16: xsc-direct / page_pool time', 1.0),
        ('bulk64', 'xsc-direct', 'page_pool', 'page_pool bulk 64: xsc-direct / page_pool time', 1.0),
        ('prodcons', 'xsc-direct', 'page_pool', 'page_pool producer/consumer: xsc-direct / page_pool time', 1.0),
        ('deep', 'xsc-direct', 'page_pool', 'page_pool deep: xsc-direct / page_pool time', 1.5),
        ('pair', 'xsc-direct', 'page_pool', 'page_pool pair: xsc-direct / page_pool time', 1.5),
    ] + [(w, 'xsc', 'page_pool', f'page_pool {w} (general API): xsc / page_pool time', None)
         for w in WORKLOADS]
    for w, mine, other, what, limit in checks:
        for size in sizes:
            vals = []
            for name, rows, *_ in guests:
                x, o = median(rows, size, w, mine), median(rows, size, w, other)
                if x is None or o is None or not o:
                    continue
                ratio = x / o
                verdict = '' if limit is None else (' met' if ratio <= limit else f' MISSED by {ratio / limit:.2f}x')
                vals.append(f'{name} {ratio:.2f}{verdict}')
            if vals:
                goal = f' <= {limit:.2f}' if limit is not None else ''
                print(f'{what}{goal}, {size} B: ' + '; '.join(vals))
    for size in sizes:
        vals = []
        for name, rows, *_ in guests:
            x, old = median(rows, size, 'prodcons', 'xsc'), median(rows, size, 'prodcons', 'xsc-2019')
            if x is None or old is None or not x:
                continue
            gain = old / x
            verdict = ' met' if gain >= 2.0 else f' MISSED (needs {2.0 / gain:.2f}x more)'
            reps = int(begin_of(guests, name).get('reps', '0'))
            worst = max(int(rows[(size, 'prodcons', a)].get('discarded', '0')) for a in ('xsc', 'xsc-2019'))
            if reps and worst >= 2 * reps:
                verdict += ' (unreliable: the host disturbed every rerun)'
            vals.append(f'{name} {gain:.2f}{verdict}')
        if vals:
            print(f'producer/consumer: xsc / xsc-2019 throughput >= 2.00, {size} B: ' + '; '.join(vals))

    print()
    print('== where xen_slab_cache served each cell (all samples of the first guest)')
    for name, _, paths, *_ in guests[:1]:
        for size, p in paths:
            gets = int(p['get_fast']) + int(p['get_slow'])
            puts = int(p['put_fast']) + int(p['put_slow'])
            print(f"{name:<7} {size:>5} B {p['workload']:<9} {p['alloc']:<10}"
                  f" gets from slabs {int(p['get_slow']) * 100 // max(gets, 1):>3}%,"
                  f" puts to slabs {int(p['put_slow']) * 100 // max(puts, 1):>3}%")
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
