// SPDX-License-Identifier: GPL-2.0
/*
 * xsc-gntcheck: the dom0 side of the cross-domain grant test
 * (tests/domu/xsc_xgrant.c), through /dev/xen/gntdev.
 *
 *   xsc-gntcheck map DOMID REF...
 *	Maps each grant read-write (one ref per map), checks u64 words
 *	0..510 against 0x5853434700000000 ^ (ref << 16) ^ i, writes word 511 =
 *	0xD0D0D0D000000000 | ref when they all match, unmaps.  Last line: "ok mapped N/N" or
 *	"bad mapped K/N: <first problem>".
 *
 *   xsc-gntcheck refused DOMID REF...
 *	Tries to map each grant (read-only, so that nothing is written should
 *	a ref be live).  gntdev's map ioctl only records the refs; the grant
 *	hypercall runs in mmap(), and a status other than GNTST_okay makes
 *	mmap() fail with EINVAL (gntdev_map_grant_pages(), Linux 6.1 to 7.3).
 *	Only that counts as refused.  Last line: "ok refused N/N" or
 *	"bad refused K/N: <first problem>".
 *
 * One line per problem before the last line; exit 0 when all was well, 1
 * when not, 2 for a usage error.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -o xsc-gntcheck xsc-gntcheck.c
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * The uapi header uses these two types of Xen's public headers (in its
 * grant copy structure) without defining them; Xen defines them so.
 */
typedef uint32_t grant_ref_t;
typedef uint16_t domid_t;
#include <xen/gntdev.h>

#define GNTDEV "/dev/xen/gntdev"
#define XEN_PAGE 4096UL
#define WORDS (XEN_PAGE / sizeof(uint64_t))
#define PATTERN 0x5853434700000000ULL
#define WRITTEN 0xD0D0D0D000000000ULL
#define DOMID_FIRST_RESERVED 0x7FF0UL
#define MAX_REFS 4096

static char first_problem[256];

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void problem(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s\n", line);
	if (!first_problem[0])
		snprintf(first_problem, sizeof(first_problem), "%s", line);
}

static int usage(const char *why)
{
	fprintf(stderr, "xsc-gntcheck: %s\n"
		"usage: xsc-gntcheck map|refused DOMID REF... (at most %d refs)\n",
		why, MAX_REFS);
	return 2;
}

/* A decimal number, digits only, at most @max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Records @ref's map in gntdev; returns the mmap offset, or -1 with errno. */
static int map_ioctl(int fd, uint32_t domid, uint32_t ref, uint64_t *index)
{
	struct ioctl_gntdev_map_grant_ref op;

	memset(&op, 0, sizeof(op));
	op.count = 1;
	op.refs[0].domid = domid;
	op.refs[0].ref = ref;
	if (ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, &op))
		return -1;
	*index = op.index;
	return 0;
}

static int unmap_ioctl(int fd, uint64_t index)
{
	struct ioctl_gntdev_unmap_grant_ref op;

	memset(&op, 0, sizeof(op));
	op.index = index;
	op.count = 1;
	return ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &op);
}

/* map: returns 1 when @ref mapped, held the pattern and took the write. */
static int check_map(int fd, size_t len, uint32_t domid, uint32_t ref)
{
	volatile uint64_t *w;	/* the guest's page */
	uint64_t index, want, got;
	int good = 1;
	void *p;
	size_t i;

	if (map_ioctl(fd, domid, ref, &index)) {
		problem("ref %" PRIu32 ": map ioctl: %s", ref, strerror(errno));
		return 0;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)index);
	if (p == MAP_FAILED) {
		problem("ref %" PRIu32 ": mmap: %s", ref, strerror(errno));
		if (unmap_ioctl(fd, index))
			problem("ref %" PRIu32 ": unmap ioctl: %s", ref, strerror(errno));
		return 0;
	}
	w = p;
	for (i = 0; i < WORDS - 1; i++) {
		want = PATTERN ^ ((uint64_t)ref << 16) ^ i;
		got = w[i];
		if (got != want) {
			problem("ref %" PRIu32 ": word %zu is %#018" PRIx64 ", want %#018" PRIx64,
				ref, i, got, want);
			good = 0;
			break;
		}
	}
	/* Only into the page the guest filled. */
	if (good)
		w[WORDS - 1] = WRITTEN | ref;
	if (munmap(p, len)) {
		problem("ref %" PRIu32 ": munmap: %s", ref, strerror(errno));
		good = 0;
	}
	if (unmap_ioctl(fd, index)) {
		problem("ref %" PRIu32 ": unmap ioctl: %s", ref, strerror(errno));
		good = 0;
	}
	return good;
}

/* refused: returns 1 when mmap() of @ref failed with EINVAL. */
static int check_refused(int fd, size_t len, uint32_t domid, uint32_t ref)
{
	uint64_t index;
	int refused = 0;
	void *p;

	if (map_ioctl(fd, domid, ref, &index)) {
		problem("ref %" PRIu32 ": map ioctl: %s (no map attempted)", ref, strerror(errno));
		return 0;
	}
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)index);
	if (p != MAP_FAILED) {
		problem("ref %" PRIu32 " mapped", ref);
		if (munmap(p, len))
			problem("ref %" PRIu32 ": munmap: %s", ref, strerror(errno));
	} else if (errno == EINVAL) {
		refused = 1;
	} else {
		problem("ref %" PRIu32 ": mmap: %s (not the refusal, EINVAL)", ref,
			strerror(errno));
	}
	if (unmap_ioctl(fd, index))
		problem("ref %" PRIu32 ": unmap ioctl: %s", ref, strerror(errno));
	return refused;
}

int main(int argc, char **argv)
{
	unsigned long domid, v, good = 0, n, i;
	uint32_t refs[MAX_REFS];
	const char *what;
	long pagesize;
	int mapping;
	size_t len;
	int fd;

	if (argc < 4)
		return usage("too few arguments");
	if (!strcmp(argv[1], "map"))
		mapping = 1;
	else if (!strcmp(argv[1], "refused"))
		mapping = 0;
	else
		return usage("unknown mode");
	what = mapping ? "mapped" : "refused";
	if (parse_uint(argv[2], DOMID_FIRST_RESERVED - 1, &domid))
		return usage("DOMID must be a domain id (0 to 32751)");
	n = (unsigned long)argc - 3;
	if (n > MAX_REFS)
		return usage("too many refs");
	for (i = 0; i < n; i++) {
		if (parse_uint(argv[3 + i], UINT32_MAX, &v))
			return usage("a REF must be a decimal grant reference");
		refs[i] = (uint32_t)v;
	}

	pagesize = sysconf(_SC_PAGESIZE);
	if (pagesize < (long)XEN_PAGE) {
		printf("bad %s 0/%lu: page size %ld\n", what, n, pagesize);
		return 1;
	}
	len = (size_t)pagesize;
	fd = open(GNTDEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("bad %s 0/%lu: open %s: %s\n", what, n, GNTDEV, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++)
		if (mapping ? check_map(fd, len, (uint32_t)domid, refs[i])
			    : check_refused(fd, len, (uint32_t)domid, refs[i]))
			good++;
	if (close(fd))
		problem("close %s: %s", GNTDEV, strerror(errno));
	if (good == n && !first_problem[0]) {
		printf("ok %s %lu/%lu\n", what, n, n);
		return 0;
	}
	printf("bad %s %lu/%lu: %s\n", what, good, n, first_problem);
	return 1;
}
