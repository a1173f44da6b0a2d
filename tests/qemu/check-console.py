#!/usr/bin/env python3
"""Turn a guest console log into result lines.

Usage: check-console.py --log FILE --name NAME [--kunit-py PATH]
                        [--qemu-rc N] [--timeout SEC] [--stuck]

Prints `ok NAME/test` or `not ok NAME/test # reason` per test, anything else
as `# ` lines. Results come from `XSC-TEST: ok|not ok <test> [reason]` lines,
from KUnit KTAP (through `kunit.py parse --json`) and from a final console
check (oops, WARN, KASAN, lockdep, kmemleak, failed insmod, no XSC-DONE).

A test that provokes a report on purpose announces it first with a line
`XSC-EXPECT: WARN <text>` or `XSC-EXPECT: KASAN <text>`.  The next WARN
whose message (or KASAN report whose headline) contains <text> is then
expected: it is left out of every other check, and an announced report
that never comes is a failure (`NAME/expected-reports`).
kmemleak: the guest's /init dumps what kmemleak found (XSC-KMEMLEAK: lines)
after the tests.  A report of an object allocated by the idle task during
early boot (comm "swapper/0", pid 0), before any test module existed, is
not the run's: it is listed as a comment and left out; any other report
fails the console check.
Exit status 0 iff all results are ok and there is one besides the console.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ANSI = re.compile(r'\x1b(\[[0-?]*[ -/]*[@-~]|[@-Z\\-_]|c)')
# printk time stamp (and caller id), exactly one separating space removed so
# that KTAP indentation survives.
STAMP = re.compile(r'^\[\s*\d+\.\d+\](\[\s*[TC]\d+\])? ?')

# Kernel (dom0 or plain guest) lines that mean something went wrong.
KERNEL_BAD = re.compile('|'.join([
    r'\bBUG:',                      # BUG: KASAN, NULL deref, soft lockup, ...
    r'\bkernel BUG at\b',
    r'\bWARNING:',                  # WARN(), lockdep, RCU splats
    r'\bOops: ',
    r'\bKernel panic\b',
    r'\bgeneral protection fault[,:]',  # the kernel's; not a user program's trap ("traps: sh[42] general protection fault ip:...")
    r'\bCall Trace:',
    r'\bUBSAN: ',
    r'possible circular locking',
    r'inconsistent lock state',
    r'possible recursive locking',
    r'suspicious RCU usage',
    r'sleeping function called from invalid context',
    r'unreferenced object 0x',     # kmemleak report
    r'new suspected memory leaks',
    r'INFO: task .* blocked for more than',
    r'XSC-INSMOD-FAIL',
]))
# Xen's own lines start with "(XEN)"; it prints benign "WARNING:" banners
# (e.g. PVH is experimental), so only its crash reports count.
XEN_BAD = re.compile('|'.join([
    r'Xen BUG at', r'Xen WARN at', r'FATAL TRAP', r'Panic on CPU',
    r"Assertion '.*' failed", r'Xen call trace', r'Dom0 crashed',
    r'Domain 0 crashed',
]))
XSC_TEST = re.compile(r'XSC-TEST: (ok|not ok) (\S+)\s*(.*)$')
KTAP_ANY = re.compile(r'^\s*K?TAP version \d+\s*$')
SUITE_HEADER = re.compile(r'^ {4}KTAP version \d+\s*$')
TOP_HEADER = re.compile(r'^K?TAP version \d+\s*$')
PLAN = re.compile(r'^1\.\.\d+\s*$')
SUITE_RESULT = re.compile(r'^(ok|not ok) \d+ (.*)$')


EXPECT = re.compile(r'XSC-EXPECT: (WARN|KASAN) (.+)$')
WARN_START = re.compile(r'^-+\[ cut here \]-+$')
WARN_END = re.compile(r'---\[ end trace [0-9a-f]+ \]---')
KASAN_RULE = re.compile(r'^={40,}$')


def report_blocks(lines):
    """Yield (kind, first, last) for each WARN and KASAN report."""
    i = 0
    while i < len(lines):
        line = lines[i]
        kind, end = None, None
        if WARN_START.match(line):
            kind, end = 'WARN', WARN_END
        elif KASAN_RULE.match(line) and i + 1 < len(lines) and 'BUG: KASAN:' in lines[i + 1]:
            kind, end = 'KASAN', KASAN_RULE
        if kind is None:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not end.search(lines[j]):
            j += 1
        if j == len(lines):  # unterminated: not a report we can vouch for
            return
        yield kind, i, j
        i = j + 1


def drop_expected(lines):
    """Remove the reports that tests announced; return (lines, met, unmet).

    Each report is matched with the oldest announcement before it of its
    kind whose text is in the report's first lines."""
    marks = [(i, m.group(1), m.group(2).strip()) for i, l in enumerate(lines)
             for m in [EXPECT.search(l)] if m]
    drop, met = set(), []
    for kind, first, last in report_blocks(lines):
        head = ' '.join(lines[first:min(last, first + 4)])
        for mark in marks:
            at, mkind, text = mark
            if at < first and mark not in met and mkind == kind and text in head:
                met.append(mark)
                drop.update(range(first, last + 1))
                break
    unmet = [m for m in marks if m not in met]
    return [l for i, l in enumerate(lines) if i not in drop], met, unmet


KMEMLEAK_START = re.compile(r'XSC-KMEMLEAK: unreferenced object 0x')
BOOT_TASK = re.compile(r'XSC-KMEMLEAK:\s+comm "swapper/0", pid 0,')


def drop_boot_leaks(lines):
    """Remove kmemleak reports of early-boot objects; return (lines, dropped)."""
    keep, dropped, i = [], [], 0
    while i < len(lines):
        if KMEMLEAK_START.search(lines[i]):
            j = i + 1
            while j < len(lines) and 'XSC-KMEMLEAK:' in lines[j] and \
                    not KMEMLEAK_START.search(lines[j]):
                j += 1
            if i + 1 < j and BOOT_TASK.search(lines[i + 1]):
                dropped.append(lines[i].split('XSC-KMEMLEAK: ', 1)[1])
                i = j
                continue
        keep.append(lines[i])
        i += 1
    if dropped:
        # The kernel's own count of the scan; the dump above is what counts.
        keep = [l for l in keep if not re.search(r'kmemleak: \d+ new suspected memory leaks', l)]
    return keep, dropped


REPLAY = '** replaying previous printk message **'


def normalise(raw):
    """The console's lines without colours and timestamps.  When a console
    gives up a message half printed (another CPU takes the console over),
    the kernel prints REPLAY and the whole message again (seen on 7.3):
    the cut copy and the marker are dropped, the whole one is kept."""
    lines = []
    for line in raw.split('\n'):
        line = STAMP.sub('', ANSI.sub('', line).replace('\r', '').rstrip())
        if line == REPLAY:
            if lines:
                lines.pop()
            continue
        lines.append(line)
    return lines


def ktap_document(lines):
    """Rebuild one KTAP document from the suites the kernel printed.

    Suites run from modules print an indented header and an unindented
    result line, with no top-level header, and other console lines in
    between: keep KUnit's (indented) lines, add a top-level header and
    number the suites in order."""
    blocks, cur = [], None
    for line in lines:
        if line.startswith('(XEN)') or 'XSC-' in line:
            continue
        if SUITE_HEADER.match(line):
            cur = [line]
            blocks.append(cur)
        elif cur is None:
            continue
        elif line[:1].isspace():
            cur.append(line)
        else:
            m = SUITE_RESULT.match(line)
            if m:
                cur.append(f'{m.group(1)} {len(blocks)} {m.group(2)}')
                cur = None
    if not blocks:
        return None
    doc = ['KTAP version 1', f'1..{len(blocks)}']
    for b in blocks:
        doc.extend(b)
    return doc


def case_reason(doc, case):
    """First diagnostic line KUnit printed for a failing case."""
    pat = re.compile(r'^\s+# ' + re.escape(case) + r': (.*)$')
    for line in doc or []:
        m = pat.match(line)
        if m and not m.group(1).startswith('pass:'):
            return m.group(1)
    return None


STATUS_OK = ('PASS', 'SKIP')


def kunit_results(lines, kunit_py, name):
    """Yield (ok, test, reason) from the KTAP in the console."""
    if not kunit_py or not os.path.isfile(kunit_py):
        yield False, 'ktap', 'KTAP output found but kunit.py is not available'
        return
    doc = ktap_document(lines)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'ktap.txt')
        out = os.path.join(tmp, 'results.json')
        with open(src, 'w') as f:
            f.write('\n'.join(doc if doc else lines) + '\n')
        proc = subprocess.run([sys.executable, kunit_py, 'parse', f'--json={out}', src],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors='replace')
        tree = None
        if os.path.exists(out):
            with open(out) as f:
                tree = json.load(f)
    report = [re.sub(r'^\[\d\d:\d\d:\d\d\] ', '', l)
              for l in proc.stdout.splitlines() if l.strip()]
    parse_bad = proc.returncode != 0 or any('[ERROR]' in l for l in report)
    failed = 0
    for suite in (tree or {}).get('sub_groups', []):
        cases = list(suite.get('test_cases', []))
        for group in suite.get('sub_groups', []):  # parameterised cases
            bad = [c['name'] for c in group.get('test_cases', [])
                   if c['status'] not in STATUS_OK]
            cases.append({'name': group['name'], 'status': 'FAIL' if bad else 'PASS',
                          'why': 'failed params: ' + '; '.join(bad) if bad else None})
        for i, case in enumerate(cases, 1):
            cname = case['name'] or f'missing-{i}'
            test = f"{suite['name']}.{cname}"
            if case['status'] == 'SKIP':
                print(f'# skipped: {name}/{test}')
            if case['status'] in STATUS_OK:
                yield True, test, None
                continue
            failed += 1
            why = case.get('why') or case_reason(doc, case['name'])
            if not why:
                why = 'crashed: no result line' if case['status'] == 'ERROR' or \
                    not case['name'] else case['status']
            yield False, test, why
    for case in (tree or {}).get('test_cases', []):  # suites without cases
        ok = case['status'] in STATUS_OK
        failed += not ok
        yield ok, case['name'] or 'ktap', None if ok else f"suite {case['status']}"
    if parse_bad and failed == 0:
        errs = [l for l in report if 'ERROR' in l or 'could not' in l or 'crashed' in l]
        yield False, 'ktap', 'kunit.py parse failed: ' + (errs or report or ['no output'])[0].strip()
    if parse_bad or failed:
        print('# kunit.py parse output:')
        for l in report[-40:]:
            print('#   ' + l)


def console_check(lines, qemu_rc, timeout, stuck):
    """Return (ok, reason, index of first bad line)."""
    for i, line in enumerate(lines):
        if 'XSC-TEST:' in line or 'XSC-EXPECT:' in line:
            continue
        bad = XEN_BAD if line.startswith('(XEN)') else KERNEL_BAD
        if bad.search(line):
            return False, line.strip()[:200], i
    if any('XSC-DONE' in l for l in lines):
        return True, None, None
    last = next((l.strip() for l in reversed(lines) if l.strip()), 'empty log')
    if stuck:
        why = f'no XSC-DONE: guest crashed and hung (last line: {last[:120]})'
    elif qemu_rc == 124:
        why = f'no XSC-DONE: timed out after {timeout}s'
    elif not any('XSC-BOOTED' in l for l in lines):
        why = f'no XSC-BOOTED: guest never reached /init (qemu rc {qemu_rc}; last line: {last[:120]})'
    else:
        why = f'no XSC-DONE: guest stopped early (qemu rc {qemu_rc}; last line: {last[:120]})'
    return False, why, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--log', required=True)
    ap.add_argument('--name', required=True)
    ap.add_argument('--kunit-py')
    ap.add_argument('--qemu-rc', type=int, default=0)
    ap.add_argument('--timeout', default='?')
    ap.add_argument('--stuck', action='store_true',
                    help='qemu was stopped after the log showed the end')
    args = ap.parse_args()

    with open(args.log, 'rb') as f:
        lines = normalise(f.read().decode('utf-8', 'replace'))
    lines, met, unmet = drop_expected(lines)
    lines, boot_leaks = drop_boot_leaks(lines)
    for leak in boot_leaks:
        print(f'# kmemleak report of an early-boot object, not this run\'s: {leak}')

    results = []
    if met or unmet:
        for _, kind, text in met:
            print(f'# expected {kind} seen: {text}')
        why = '; '.join(f'announced {k} "{t}" never came' for _, k, t in unmet)
        results.append((not unmet, 'expected-reports', why))
    for line in lines:
        m = XSC_TEST.search(line)
        if m:
            results.append((m.group(1) == 'ok', m.group(2), m.group(3) or 'failed'))
    if any(KTAP_ANY.match(l) for l in lines if not l.startswith('(XEN)')):
        results.extend(kunit_results(lines, args.kunit_py, args.name))
    for line in lines:
        m = re.search(r'XSC-SCRIPT-RC (\d+)', line)
        if m and m.group(1) != '0':
            print(f'# guest test script exited with status {m.group(1)}')

    ok, why, bad_at = console_check(lines, args.qemu_rc, args.timeout, args.stuck)
    results.append((ok, 'console', why))
    if bad_at is not None:
        # Marked CONSOLE: so that scripts/check.sh shows them in make
        # check's own output (a CI log may be all there is of a rare fault).
        print('# CONSOLE: from the first bad line:')
        for l in lines[bad_at:bad_at + 40]:
            print('# CONSOLE:   ' + l)

    for good, test, why in results:
        print(f'ok {args.name}/{test}' if good else f'not ok {args.name}/{test} # {why}')
    passed = all(r[0] for r in results)
    if len(results) < 2:
        print('# no test results besides the console check')
    return 0 if passed and len(results) >= 2 else 1


if __name__ == '__main__':
    sys.exit(main())
