/* customsrc-launch: start a script in a world of its own, as --sandbox basic does as root.
 *
 * bubblewrap and `unshare --setuid` cost ~5 ms a run here (three execs, ~600 system calls), where
 * the kernel work they do takes ~1 ms. This does that work and nothing else, for the one case it
 * serves (customsrc, as root, at basic): it takes the subset of bubblewrap's options that
 * customsrc.levels passes there, with the same meaning, plus --setuid/--setgid. customsrc builds it
 * on first use (customsrc.machine.launcher) and falls back to bubblewrap wherever it cannot.
 *
 * Options of its own, so that the run needs no round trip with customsrc before the script starts
 * (applied in order with the mounts, by pid 1, as root, before the script exists):
 *   --own PATH          give PATH (no link followed) to the --setuid/--setgid user
 *   --file FD PATH      copy descriptor FD into a new file PATH (0600, no link followed), the
 *                       run's user's (bubblewrap's --file makes it root's)
 *   --send-dir FD PATH  send a descriptor of the folder PATH on the Unix socket FD (SCM_RIGHTS):
 *                       customsrc reads the run's work directory through it after the run
 *
 *   outer (the process customsrc started) -- clone(new PID, mount, IPC, UTS [, net])
 *     init (pid 1 of the new PID namespace): joins the run's control groups (--cgroup-procs; or
 *          waits on --block-fd while customsrc puts it there), then its own cgroup namespace,
 *          makes the mounts (nosuid everywhere), forks the script, then closes every descriptor,
 *          becomes nobody without capabilities or new privileges, and reaps until the script
 *          ends; its exit ends every process left in the namespace.
 *       script: new session, descriptors 9 and up closed, no supplementary groups, --setgid,
 *               --setuid (checked), no new privileges, the --seccomp filter, exec.
 *
 * Errors: a message on stderr, "customsrc-launch: ...", and exit 1 (before the script runs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#define ATTR_RDONLY 0x00000001ULL
#define ATTR_NOSUID 0x00000002ULL
#define ATTR_NODEV 0x00000004ULL
#define NOBODY 65534

struct attr {
    unsigned long long set, clear, propagation, userns_fd;
};

enum kind { PROC, TMPFS, DIR_, BIND, RO_BIND, OWN, FILE_, SEND };

struct op {
    enum kind kind;
    const char *src, *dst;
    int mode;
    const char *size;
    int source_fd; /* a bind's source, opened before any mount hides it (as bubblewrap reads the old root);
                      the descriptor --file copies from or --send-dir sends on */
};

static long run_uid = -1, run_gid = -1;

static void fail(const char *fmt, ...) {
    va_list ap;
    int saved = errno;
    va_start(ap, fmt);
    fputs("customsrc-launch: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (saved)
        fprintf(stderr, ": %s", strerror(saved));
    fputc('\n', stderr);
    _exit(1);
}

static long number(const char *text, const char *what) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || end == text || value < 0)
        fail("%s is not a number: %s", what, text);
    return value;
}

/* Make ``path``'s missing parents (0755, root's) and ``path`` itself, a folder or a file. */
static void make(const char *path, int folder, int mode) {
    char buffer[4096];
    if (strlen(path) >= sizeof buffer || path[0] != '/')
        fail("not an absolute path: %s", path);
    strcpy(buffer, path);
    for (char *slash = strchr(buffer + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(buffer, 0755) != 0 && errno != EEXIST)
            fail("cannot make %s", buffer);
        *slash = '/';
    }
    errno = 0;
    if (folder) {
        if (mkdir(path, mode) == 0) {
            if (chmod(path, mode) != 0)
                fail("cannot set the mode of %s", path);
        } else if (errno != EEXIST) {
            fail("cannot make %s", path);
        }
    } else {
        int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0444);
        if (fd < 0)
            fail("cannot make %s", path);
        close(fd);
    }
    errno = 0;
}

static void set_attr(const char *path, unsigned long long set) {
    struct attr attr = {set, 0, 0, 0};
    if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) != 0)
        fail("cannot protect %s", path);
}

/* Send a descriptor of the folder ``path`` on the Unix socket ``socket_fd`` (SCM_RIGHTS): customsrc
 * keeps the run's work directory through it, whenever it reads it, with no round trip now. */
static void send_folder(int socket_fd, const char *path) {
    int folder = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (folder < 0)
        fail("cannot open %s", path);
    char byte = '.';
    struct iovec part = {&byte, 1};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {0};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof control.buffer;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &folder, sizeof(int));
    if (sendmsg(socket_fd, &message, MSG_NOSIGNAL) != 1)
        fail("cannot hand %s over on --send-dir", path);
    close(folder);
    close(socket_fd);
}

/* Copy the descriptor ``from`` into a new file ``path`` (0600) the run's user owns. */
static void copy_file(int from, const char *path) {
    char buffer[65536];
    int to = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (to < 0)
        fail("cannot make %s", path);
    ssize_t n;
    while ((n = read(from, buffer, sizeof buffer)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("cannot read --file's descriptor %d", from);
        for (ssize_t done = 0, wrote; done < n; done += wrote)
            if ((wrote = write(to, buffer + done, (size_t)(n - done))) < 0)
                fail("cannot write %s", path);
    }
    if (fchown(to, (uid_t)run_uid, (gid_t)run_gid) != 0)
        fail("cannot give %s to uid %ld", path, run_uid);
    close(to);
    close(from);
}

static void apply(const struct op *op) {
    char options[128];
    struct stat info;
    switch (op->kind) {
    case OWN:
        if (fchownat(AT_FDCWD, op->dst, (uid_t)run_uid, (gid_t)run_gid, AT_SYMLINK_NOFOLLOW) != 0)
            fail("cannot give %s to uid %ld", op->dst, run_uid);
        break;
    case FILE_:
        copy_file(op->source_fd, op->dst);
        break;
    case SEND:
        send_folder(op->source_fd, op->dst);
        break;
    case PROC:
        make(op->dst, 1, 0755);
        if (mount("proc", op->dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
            fail("cannot mount proc on %s", op->dst);
        /* as bubblewrap does: what of /proc acts on the whole machine, read-only */
        static const char *const machine_wide[] = {"sys", "sysrq-trigger", "irq", "bus"};
        for (size_t i = 0; i < sizeof machine_wide / sizeof *machine_wide; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", op->dst, machine_wide[i]);
            if (access(path, F_OK) != 0)
                continue;
            if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0)
                fail("cannot bind %s", path);
            set_attr(path, ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV);
        }
        break;
    case TMPFS:
        make(op->dst, 1, 0755);
        if (op->size)
            snprintf(options, sizeof options, "mode=%o,size=%s", op->mode, op->size);
        else
            snprintf(options, sizeof options, "mode=%o", op->mode);
        if (mount("tmpfs", op->dst, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0)
            fail("cannot mount a tmpfs on %s", op->dst);
        break;
    case DIR_:
        make(op->dst, 1, op->mode);
        break;
    case BIND:
    case RO_BIND:
        if (fstat(op->source_fd, &info) != 0)
            fail("cannot bind %s", op->src);
        make(op->dst, S_ISDIR(info.st_mode), 0755);
        snprintf(options, sizeof options, "/proc/self/fd/%d", op->source_fd);
        if (mount(options, op->dst, NULL, MS_BIND | MS_REC, NULL) != 0)
            fail("cannot bind %s on %s", op->src, op->dst);
        close(op->source_fd);
        set_attr(op->dst, ATTR_NOSUID | ATTR_NODEV | (op->kind == RO_BIND ? ATTR_RDONLY : 0));
        break;
    }
}

static void loopback_up(void) {
    struct ifreq request;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail("cannot open a socket to bring up the loopback");
    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &request) != 0)
        fail("cannot read the loopback's flags");
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &request) != 0)
        fail("cannot bring up the loopback");
    close(fd);
}

static int status_code(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

static void close_from(int lowest) {
    if (syscall(SYS_close_range, lowest, ~0U, 0) != 0)
        for (int fd = lowest; fd < 65536; fd++)
            close(fd);
}

int main(int argc, char **argv) {
    struct op *ops = calloc((size_t)argc, sizeof *ops); /* at most one a argument */
    int count = 0, mode = -1, info_fd = -1, block_fd = -1, seccomp_fd = -1, new_session = 0;
    int flags = SIGCHLD | CLONE_NEWNS, die_with_parent = 0, new_cgroup_ns = 0;
    const char *groups[8];
    int group_count = 0;
    const char *size = NULL, *chdir_to = NULL;
    char **command = NULL;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int left = argc - i - 1;
#define NEED(n) \
    if (left < (n)) \
        fail("%s needs %d argument(s)", arg, (n))
        if (!strcmp(arg, "--")) {
            command = argv + i + 1;
            break;
        } else if (!strcmp(arg, "--unshare-pid")) {
            flags |= CLONE_NEWPID;
        } else if (!strcmp(arg, "--unshare-ipc")) {
            flags |= CLONE_NEWIPC;
        } else if (!strcmp(arg, "--unshare-uts")) {
            flags |= CLONE_NEWUTS;
        } else if (!strcmp(arg, "--unshare-cgroup-try")) {
            new_cgroup_ns = 1;
        } else if (!strcmp(arg, "--unshare-net")) {
            flags |= CLONE_NEWNET;
        } else if (!strcmp(arg, "--die-with-parent")) {
            die_with_parent = 1;
        } else if (!strcmp(arg, "--new-session")) {
            new_session = 1;
        } else if (!strcmp(arg, "--dev-bind")) {
            NEED(2);
            if (strcmp(argv[i + 1], "/") || strcmp(argv[i + 2], "/") || count)
                fail("--dev-bind: only / on /, first, is supported");
            i += 2;
        } else if (!strcmp(arg, "--perms")) {
            NEED(1);
            char *end;
            mode = (int)strtol(argv[++i], &end, 8);
            if (*end || mode < 0 || mode > 07777)
                fail("--perms: not an octal mode: %s", argv[i]);
        } else if (!strcmp(arg, "--size")) {
            NEED(1);
            number(argv[++i], "--size");
            size = argv[i];
        } else if (!strcmp(arg, "--proc") || !strcmp(arg, "--tmpfs") || !strcmp(arg, "--dir")) {
            NEED(1);
            enum kind kind = arg[2] == 'p' ? PROC : arg[2] == 't' ? TMPFS : DIR_;
            ops[count++] = (struct op){kind, NULL, argv[++i], mode < 0 ? 0755 : mode, kind == TMPFS ? size : NULL, -1};
            mode = -1;
            size = NULL;
        } else if (!strcmp(arg, "--bind") || !strcmp(arg, "--ro-bind")) {
            NEED(2);
            ops[count++] = (struct op){arg[2] == 'r' ? RO_BIND : BIND, argv[i + 1], argv[i + 2], 0, NULL, -1};
            i += 2;
        } else if (!strcmp(arg, "--chdir")) {
            NEED(1);
            chdir_to = argv[++i];
        } else if (!strcmp(arg, "--info-fd")) {
            NEED(1);
            info_fd = (int)number(argv[++i], arg);
        } else if (!strcmp(arg, "--block-fd")) {
            NEED(1);
            block_fd = (int)number(argv[++i], arg);
        } else if (!strcmp(arg, "--seccomp")) {
            NEED(1);
            seccomp_fd = (int)number(argv[++i], arg);
        } else if (!strcmp(arg, "--cgroup-procs")) {
            NEED(1);
            if (group_count == (int)(sizeof groups / sizeof *groups))
                fail("too many control groups");
            groups[group_count++] = argv[++i];
        } else if (!strcmp(arg, "--setuid")) {
            NEED(1);
            run_uid = number(argv[++i], arg);
        } else if (!strcmp(arg, "--setgid")) {
            NEED(1);
            run_gid = number(argv[++i], arg);
        } else if (!strcmp(arg, "--own")) {
            NEED(1);
            ops[count++] = (struct op){OWN, NULL, argv[++i], 0, NULL, -1};
        } else if (!strcmp(arg, "--file") || !strcmp(arg, "--send-dir")) {
            NEED(2);
            int fd = (int)number(argv[i + 1], arg);
            if (fd < 3)
                fail("%s: not a descriptor customsrc passes: %d", arg, fd);
            ops[count++] = (struct op){arg[2] == 'f' ? FILE_ : SEND, NULL, argv[i + 2], 0, NULL, fd};
            i += 2;
        } else {
            fail("unknown option %s", arg);
        }
    }
    if (!command || !command[0])
        fail("no command after --");
    if (die_with_parent) { /* this process too: killed with customsrc, it takes the sandbox with it */
        pid_t parent = getppid();
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            fail("cannot tie the launcher to its parent");
    }
    if (run_uid <= 0 || run_gid <= 0)
        fail("--setuid and --setgid must name an unprivileged user: the script never runs as root");

    struct sock_fprog filter = {0, NULL};
    if (seccomp_fd >= 0) { /* bubblewrap's format: the raw struct sock_filter array */
        static struct sock_filter program[4096];
        size_t got = 0;
        ssize_t n;
        while ((n = read(seccomp_fd, (char *)program + got, sizeof program - got)) > 0)
            got += (size_t)n;
        if (n < 0 || got == 0 || got % sizeof *program || got == sizeof program)
            fail("--seccomp: not a seccomp program");
        filter.len = (unsigned short)(got / sizeof *program);
        filter.filter = program;
        close(seccomp_fd);
    }

    pid_t init = (pid_t)syscall(SYS_clone, (unsigned long)flags, NULL, NULL, NULL, 0UL);
    if (init < 0)
        fail("cannot make the run's namespaces");
    if (init > 0) { /* outer: name the sandbox's first process, then wait for it */
        if (info_fd >= 0) {
            char json[64];
            int n = snprintf(json, sizeof json, "{\n    \"child-pid\": %d\n}\n", init);
            if (write(info_fd, json, (size_t)n) != n) {
                kill(init, SIGKILL);
                fail("cannot write to --info-fd");
            }
        }
        close_from(3);
        int status;
        while (waitpid(init, &status, 0) < 0)
            if (errno != EINTR)
                fail("lost the sandbox");
        return status_code(status);
    }

    /* init: pid 1 of the run */
    if (die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        fail("cannot tie the sandbox to its parent");
    if (info_fd >= 0)
        close(info_fd);
    if (block_fd >= 0) { /* customsrc puts this process in the run's control group meanwhile */
        char byte;
        ssize_t n;
        while ((n = read(block_fd, &byte, 1)) < 0 && errno == EINTR)
            ;
        if (n != 1)
            _exit(1); /* customsrc is gone: nothing to run for */
        close(block_fd);
    }
    /* The run's control groups, before anything of the run is made: all of it is counted there
     * (this process and the script; not the outer one, which customsrc counts as its own). */
    for (int i = 0; i < group_count; i++) {
        int fd = open(groups[i], O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1)
            fail("cannot join the control group %s", groups[i]);
        close(fd);
    }
    if (new_cgroup_ns && unshare(CLONE_NEWCGROUP) != 0 && errno != EINVAL)
        fail("cannot make the run's cgroup namespace");
    errno = 0;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        fail("cannot make the mounts private");
    set_attr("/", ATTR_NOSUID); /* as bubblewrap: no set-user-ID program gains anything here */
    for (int i = 0; i < count; i++)
        if ((ops[i].kind == BIND || ops[i].kind == RO_BIND) &&
            (ops[i].source_fd = open(ops[i].src, O_PATH | O_CLOEXEC)) < 0)
            fail("cannot bind %s", ops[i].src);
    for (int i = 0; i < count; i++)
        apply(&ops[i]);
    if (flags & CLONE_NEWNET)
        loopback_up();
    if (chdir_to && chdir(chdir_to) != 0)
        fail("cannot change to %s", chdir_to);

    pid_t script = fork();
    if (script < 0)
        fail("cannot start the script");
    if (script == 0) {
        if (new_session && setsid() < 0)
            fail("cannot start a new session");
        close_from(9); /* the script gets 0-3, 6 and 7 from customsrc, nothing else it had */
        if (setgroups(0, NULL) != 0 || setgid((gid_t)run_gid) != 0 || setuid((uid_t)run_uid) != 0)
            fail("cannot drop to uid %ld", run_uid);
        if (getuid() != (uid_t)run_uid || geteuid() != (uid_t)run_uid || getegid() != (gid_t)run_gid ||
            setuid(0) == 0)
            fail("still privileged after the drop to uid %ld", run_uid);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            fail("cannot forbid new privileges");
        if (filter.len && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0)
            fail("cannot load the seccomp program");
        execvp(command[0], command);
        fail("cannot run %s", command[0]);
    }
    /* init keeps nothing the script was given (the preamble's memfd among it), and nothing of root:
     * it only reaps. Changing its uid clears the parent-death signal: set again. */
    close_from(0);
    struct {
        unsigned int version;
        int pid;
    } header = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
    unsigned int no_caps[6] = {0};
    if (setgroups(0, NULL) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 || setresuid(NOBODY, NOBODY, NOBODY) != 0 ||
        syscall(SYS_capset, &header, no_caps) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        (die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) != 0))
        kill(script, SIGKILL); /* never left holding root beside the script */
    for (;;) {
        int status;
        pid_t done = waitpid(-1, &status, 0);
        if (done == script)
            _exit(status_code(status));
        if (done < 0 && errno != EINTR)
            _exit(1);
    }
}
