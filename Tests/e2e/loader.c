// SPDX-License-Identifier: GPL-2.0
/*
 * kfp-loader: runs the cases of scripts/e2e-kernel.sh inside the qemu guest, one line of a
 * manifest at a time, and prints one machine-readable result line per case:
 *
 *   KFP-RESULT id=ID stage=load|attach|run rc=ERRNO line=TEXT
 *
 * rc is 0 or the negative errno of the stage that failed, TEXT the verifier's line that says
 * why (or the kernel's message for a refused struct_ops map). Manifest lines:
 *
 *   load ID OBJ                load every program of OBJ (a program in section kfp.syscall
 *                              is loaded as a syscall program that is not sleepable)
 *   attach ID OBJ              load, then attach every struct_ops map of OBJ and detach it,
 *                              and run every syscall program of OBJ once (BPF_PROG_RUN)
 *   kick ID INSTANCE RUN N     attach INSTANCE's struct_ops map, run RUN's syscall program
 *                              with a context of N u64 words, print them (KFP-STATS), detach
 *   ids ID STRUCT@MODULE...    print the BTF id of each module's struct (KFP-IDS)
 *   uname                      print the kernel release (KFP-UNAME)
 *
 * Built statically against libbpf 1.5 and btfcache.c; needs nothing else in the initramfs.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define LOG_SIZE (1 << 20)

/* Everything libbpf printed for the current case (it prints the verifier log on failure). */
static char *libbpf_log;
static size_t libbpf_log_len;
static int kmsg_fd = -1;

static int capture(enum libbpf_print_level level, const char *fmt, va_list args)
{
	int n;

	if (level == LIBBPF_DEBUG || libbpf_log_len >= LOG_SIZE - 1)
		return 0;
	n = vsnprintf(libbpf_log + libbpf_log_len, LOG_SIZE - libbpf_log_len, fmt, args);
	if (n > 0)
		libbpf_log_len += (size_t)n < LOG_SIZE - libbpf_log_len ? (size_t)n : LOG_SIZE - 1 - libbpf_log_len;
	return 0;
}

/* The verifier's reason among the captured lines: the first line that names one. */
static const char *const reasons[] = {
	"calling kernel function ",
	"program must be sleepable to call sleepable kfunc ",
	"attach to unsupported member ",
	"Syscall programs can only be sleepable",
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double case_start;

static void print_result(const char *id, const char *stage, int rc, const char *line)
{
	printf("KFP-RESULT id=%s stage=%s rc=%d ms=%.0f line=%s\n", id, stage, rc, now_ms() - case_start,
	       line ? line : "");
	fflush(stdout);
}

/*
 * Prints the result of a failed stage with the line that gives a known reason, or else the
 * verifier's last line before its "processed N insns" summary, and then the log's last
 * lines (the report prints them).
 */
static void report_failure(const char *id, const char *stage, int rc)
{
	char *line, *save = NULL, *last[12] = { 0 }, *verdict = NULL;
	unsigned int i, n = 0;
	int in_log = 0;

	for (line = strtok_r(libbpf_log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
			if (strstr(line, reasons[i])) {
				print_result(id, stage, rc, strstr(line, reasons[i]));
				return;
			}
		}
		if (strstr(line, "-- BEGIN PROG LOAD LOG --") || strstr(line, "-- END PROG LOAD LOG --"))
			in_log = !!strstr(line, "BEGIN");
		else if (in_log && strncmp(line, "processed ", 10) != 0)
			verdict = line;
		last[n++ % 12] = line;
	}
	print_result(id, stage, rc, verdict ? verdict : n ? last[(n - 1) % 12] : "(no log)");
	for (i = n > 12 ? n - 12 : 0; i < n; i++)
		printf("KFP-LOG id=%s %s\n", id, last[i % 12]);
}

/* Kernel messages of the test modules since the last call (a refused map says why there). */
static void print_kmsg(const char *id)
{
	char rec[1024];
	ssize_t n;

	while (kmsg_fd >= 0 && (n = read(kmsg_fd, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0) {
			if (errno == EPIPE)
				continue; /* records were overwritten; go on with the next */
			break;
		}
		rec[n] = '\0';
		if (strchr(rec, ';') && strstr(rec, "kfp_"))
			printf("KFP-KMSG id=%s %s", id, strchr(rec, ';') + 1);
	}
}

static struct bpf_object *open_and_load(const char *id, const char *path)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	int err;

	libbpf_log_len = 0;
	libbpf_log[0] = '\0';
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		report_failure(id, "open", -errno);
		return NULL;
	}
	/* libbpf loads every SEC("syscall") program sleepable: this section is one that is not. */
	bpf_object__for_each_program(prog, obj)
		if (strcmp(bpf_program__section_name(prog), "kfp.syscall") == 0)
			bpf_program__set_type(prog, BPF_PROG_TYPE_SYSCALL);
	err = bpf_object__load(obj);
	if (err) {
		report_failure(id, "load", err);
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

/* Attaches every struct_ops map of obj; on failure detaches what was attached. */
static int attach_all(const char *id, struct bpf_object *obj, struct bpf_link **links, int max)
{
	struct bpf_map *map;
	int n = 0, err;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS || n == max)
			continue;
		links[n] = bpf_map__attach_struct_ops(map);
		if (!links[n]) {
			err = -errno;
			print_result(id, "attach", err, bpf_map__name(map));
			print_kmsg(id);
			while (n > 0)
				bpf_link__destroy(links[--n]);
			return err;
		}
		n++;
	}
	return n;
}

static void detach_all(struct bpf_link **links, int n)
{
	while (n > 0)
		bpf_link__destroy(links[--n]);
}

/* Runs every syscall program of obj once; 0 or the first failure's negative errno. */
static int run_syscall_programs(const char *id, struct bpf_object *obj)
{
	unsigned long long ctx[2] = { 0 };
	struct bpf_program *prog;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));

	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__type(prog) != BPF_PROG_TYPE_SYSCALL)
			continue;
		if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts)) {
			print_result(id, "run", -errno, "BPF_PROG_RUN failed");
			return -1;
		}
	}
	return 0;
}

static void do_load(const char *id, const char *path, int attach)
{
	struct bpf_object *obj = open_and_load(id, path);
	struct bpf_link *links[4];
	int n;

	if (!obj)
		return;
	if (attach) {
		n = attach_all(id, obj, links, 4);
		if (n < 0 || run_syscall_programs(id, obj)) {
			if (n > 0)
				detach_all(links, n);
			bpf_object__close(obj);
			return;
		}
		detach_all(links, n);
	}
	print_result(id, attach ? "attach" : "load", 0, "");
	bpf_object__close(obj);
}

static void do_kick(const char *id, const char *instance, const char *runner, int words)
{
	struct bpf_object *inst = open_and_load(id, instance), *run = NULL;
	struct bpf_link *links[4];
	unsigned long long ctx[16] = { 0 };
	int n = 0, err = 0, i;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = words * 8);

	if (!inst)
		return;
	if (words < 1 || words > 16) {
		print_result(id, "run", -EINVAL, "bad context size");
		goto out;
	}
	n = attach_all(id, inst, links, 4);
	if (n < 0)
		goto out;
	run = open_and_load(id, runner);
	if (!run)
		goto out;
	err = bpf_prog_test_run_opts(bpf_program__fd(bpf_object__next_program(run, NULL)), &opts);
	print_result(id, "run", err ? -errno : 0, err ? "BPF_PROG_RUN failed" : "");
	if (!err) {
		printf("KFP-STATS id=%s ret=%u words=", id, opts.retval);
		for (i = 0; i < words; i++)
			printf("%s%llu", i ? "," : "", ctx[i]);
		printf("\n");
	}
out:
	if (n > 0)
		detach_all(links, n);
	bpf_object__close(run);
	bpf_object__close(inst);
}

/* The BTF id of struct NAME in the kernel's BTF object of module MODULE, or a negative errno. */
static int module_struct_id(struct btf *vmlinux, const char *module, const char *name)
{
	char objname[64];
	struct bpf_btf_info info;
	__u32 btf_id = 0, len;
	int fd, id = -ENOENT;

	while (id == -ENOENT && bpf_btf_get_next_id(btf_id, &btf_id) == 0) {
		fd = bpf_btf_get_fd_by_id(btf_id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.name = (__u64)(unsigned long)objname;
		info.name_len = sizeof(objname);
		len = sizeof(info);
		if (bpf_btf_get_info_by_fd(fd, &info, &len) == 0 && strcmp(objname, module) == 0) {
			struct btf *btf = btf__load_from_kernel_by_id_split(btf_id, vmlinux);

			id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) : -errno;
			btf__free(btf);
		}
		close(fd);
	}
	return id;
}

static void do_ids(const char *id, char **specs, int n)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int i;

	printf("KFP-IDS id=%s", id);
	for (i = 0; i < n; i++) {
		char *at = strchr(specs[i], '@');

		if (!at || !vmlinux) {
			printf(" %s=-22", specs[i]);
			continue;
		}
		*at = '\0';
		printf(" %s@%s=%d", specs[i], at + 1, module_struct_id(vmlinux, at + 1, specs[i]));
	}
	printf("\n");
	btf__free(vmlinux);
}

int main(int argc, char **argv)
{
	char buf[1024], *arg[8], *save;
	struct utsname u;
	FILE *manifest;
	int n;

	if (argc != 2 || !(manifest = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: kfp-loader MANIFEST\n");
		return 2;
	}
	libbpf_log = malloc(LOG_SIZE);
	if (!libbpf_log)
		return 1;
	libbpf_set_print(capture);
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	while (fgets(buf, sizeof(buf), manifest)) {
		for (n = 0, save = NULL; n < 8 && (arg[n] = strtok_r(n ? NULL : buf, " \n", &save)); n++)
			;
		if (n == 0)
			continue;
		case_start = now_ms();
		if (strcmp(arg[0], "uname") == 0 && uname(&u) == 0)
			printf("KFP-UNAME %s\n", u.release);
		else if ((strcmp(arg[0], "load") == 0 || strcmp(arg[0], "attach") == 0) && n >= 3)
			do_load(arg[1], arg[2], arg[0][0] == 'a');
		else if (strcmp(arg[0], "kick") == 0 && n == 5)
			do_kick(arg[1], arg[2], arg[3], atoi(arg[4]));
		else if (strcmp(arg[0], "ids") == 0 && n >= 2)
			do_ids(arg[1], arg + 2, n - 2);
		else
			printf("KFP-ERROR bad manifest line: %s\n", arg[0]);
		fflush(stdout);
	}
	printf("KFP-DONE\n");
	return 0;
}
