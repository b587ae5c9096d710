/* Native I/O edge: lvsd-spawn, the small process that starts lvsd's scripts so the daemon never forks.
 *
 * Forking the daemon (a large Node process) stalls its event loop while the kernel copies its page tables: 30-500 ms
 * in the lab's user-mode kernel, longer than a VRRP master_down_interval at advert_int 0.1. lvsd starts this helper
 * once; it forks (cheaply: it is small), runs each script in its own session as its user, captures its output up to a
 * limit, kills its process group on timeout and reports how it ended. It exits, killing what still runs, when its
 * standard input closes (the daemon stopped or died).
 *
 * Frames, native byte order (the daemon is on the same machine), each after a u32 length of what follows:
 *   request  u8 type: 1 run, 2 kill all, 3 kill one (u32 id)
 *            run: u32 id, u32 timeout_ms, u32 max_output, u32 uid, u32 gid, u8 switch_user, u16 argc, u16 envc,
 *                 then argc + envc NUL-terminated strings
 *   response u32 id, u8 kind (0 exited, 1 killed by signal, 2 not started, 3 hello), i32 value (exit code, signal,
 *            errno, protocol version), u8 flags (1 timed out, 2 stdout truncated, 4 stderr truncated), u32 duration_us,
 *            u32 stdout length, stdout, u32 stderr length, stderr
 * The TypeScript side of these frames is src/health/spawn-codec.ts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROTOCOL 1
#define MAX_JOBS 256
#define PIPE_GRACE_US 200000 /* a grandchild that left the group may hold the pipes: wait this long after exit */
#define MAX_FRAME (1u << 20)

extern char **environ;

struct out { char *data; uint32_t len, max; int fd, truncated; };
struct job {
  uint32_t id;
  pid_t pid;
  struct out out, err;
  uint64_t start, deadline, exited_at;
  int exited, status, timed_out;
};

static struct job *jobs[MAX_JOBS];
static int njobs;
static int sigpipe_fds[2];

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void write_all(const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(1, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(0); /* the daemon is gone */
    c += w;
    n -= (size_t)w;
  }
}

static void respond(uint32_t id, uint8_t kind, int32_t value, uint8_t flags, uint32_t duration, const struct out *o, const struct out *e) {
  uint32_t olen = o ? o->len : 0, elen = e ? e->len : 0;
  uint32_t total = 4 + 1 + 4 + 1 + 4 + 4 + olen + 4 + elen;
  char head[4 + 4 + 1 + 4 + 1 + 4];
  char *h = head;
  memcpy(h, &total, 4); h += 4;
  memcpy(h, &id, 4); h += 4;
  *h++ = (char)kind;
  memcpy(h, &value, 4); h += 4;
  *h++ = (char)flags;
  memcpy(h, &duration, 4);
  write_all(head, sizeof head);
  write_all(&olen, 4);
  if (olen) write_all(o->data, olen);
  write_all(&elen, 4);
  if (elen) write_all(e->data, elen);
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  ssize_t r = write(sigpipe_fds[1], "c", 1);
  (void)r;
  errno = saved;
}

static void kill_job(struct job *j) {
  if (j->exited) return;
  if (kill(-j->pid, SIGKILL) < 0) kill(j->pid, SIGKILL);
}

static void kill_all(void) {
  for (int i = 0; i < njobs; i++) kill_job(jobs[i]);
}

/* start runs one script: fork, new session, user switch, pipes onto stdout/stderr, exec; errors come back through a
 * close-on-exec pipe so that "no such file" is a not-started result, not exit code 127. */
static void start(uint32_t id, uint32_t timeout_ms, uint32_t max_out, uid_t uid, gid_t gid, int sw, char **argv, char **envp) {
  int o[2] = {-1, -1}, e[2] = {-1, -1}, x[2] = {-1, -1};
  if (njobs >= MAX_JOBS) { respond(id, 2, EAGAIN, 0, 0, NULL, NULL); return; }
  if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0 || pipe2(x, O_CLOEXEC) < 0) {
    int err = errno;
    int fds[6] = {o[0], o[1], e[0], e[1], x[0], x[1]};
    for (int i = 0; i < 6; i++) if (fds[i] >= 0) close(fds[i]);
    respond(id, 2, err, 0, 0, NULL, NULL);
    return;
  }
  uint64_t t0 = now_us();
  pid_t pid = fork();
  if (pid == 0) {
    int err = 0;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* ignored dispositions survive exec: a script gets the defaults */
    int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_DFL);
    setsid();
    if (sw) {
      if (setgroups(0, NULL) < 0 && errno != EPERM) err = errno;
      if (!err && setgid(gid) < 0) err = errno;
      if (!err && setuid(uid) < 0) err = errno;
    }
    if (!err) {
      int null = open("/dev/null", O_RDONLY);
      if (null < 0 || dup2(null, 0) < 0 || dup2(o[1], 1) < 0 || dup2(e[1], 2) < 0) err = errno;
    }
    if (!err) {
      environ = envp;
      execvp(argv[0], argv);
      err = errno;
    }
    ssize_t r = write(x[1], &err, sizeof err);
    (void)r;
    _exit(127);
  }
  int fork_err = pid < 0 ? errno : 0;
  close(o[1]); close(e[1]); close(x[1]);
  if (pid < 0) {
    close(o[0]); close(e[0]); close(x[0]);
    respond(id, 2, fork_err, 0, 0, NULL, NULL);
    return;
  }
  int child_err = 0;
  ssize_t r;
  do r = read(x[0], &child_err, sizeof child_err); while (r < 0 && errno == EINTR);
  close(x[0]);
  if (r == (ssize_t)sizeof child_err) {
    close(o[0]); close(e[0]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    respond(id, 2, child_err, 0, 0, NULL, NULL);
    return;
  }
  fcntl(o[0], F_SETFL, O_NONBLOCK);
  fcntl(e[0], F_SETFL, O_NONBLOCK);
  struct job *j = calloc(1, sizeof *j);
  if (!j) abort();
  j->id = id;
  j->pid = pid;
  j->start = t0;
  j->deadline = t0 + (uint64_t)timeout_ms * 1000u;
  j->out = (struct out){NULL, 0, max_out, o[0], 0};
  j->err = (struct out){NULL, 0, max_out, e[0], 0};
  jobs[njobs++] = j;
}

static void drain(struct out *s) {
  char buf[16384];
  for (;;) {
    ssize_t n = read(s->fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) { close(s->fd); s->fd = -1; return; }
    uint32_t room = s->max - s->len;
    uint32_t keep = (uint32_t)n < room ? (uint32_t)n : room;
    if ((uint32_t)n > room) s->truncated = 1;
    if (keep) {
      if (!s->data) { s->data = malloc(s->max); if (!s->data) abort(); }
      memcpy(s->data + s->len, buf, keep);
      s->len += keep;
    }
  }
}

static void finish(int i) {
  struct job *j = jobs[i];
  if (j->out.fd >= 0) close(j->out.fd);
  if (j->err.fd >= 0) close(j->err.fd);
  uint8_t flags = (uint8_t)((j->timed_out ? 1 : 0) | (j->out.truncated ? 2 : 0) | (j->err.truncated ? 4 : 0));
  uint64_t took = j->exited_at - j->start;
  if (WIFSIGNALED(j->status)) respond(j->id, 1, WTERMSIG(j->status), flags, (uint32_t)took, &j->out, &j->err);
  else respond(j->id, 0, WEXITSTATUS(j->status), flags, (uint32_t)took, &j->out, &j->err);
  free(j->out.data);
  free(j->err.data);
  free(j);
  jobs[i] = jobs[--njobs];
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < njobs; i++) {
      if (jobs[i]->pid != pid) continue;
      jobs[i]->exited = 1;
      jobs[i]->status = status;
      jobs[i]->exited_at = now_us();
    }
  }
}

static uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* request handles one frame; a malformed one is a protocol error from the daemon: stop rather than guess */
static void request(const unsigned char *p, uint32_t len) {
  if (len < 1) _exit(3);
  if (p[0] == 2) { kill_all(); return; }
  if (p[0] == 3 && len >= 5) {
    uint32_t id = rd32(p + 1);
    for (int i = 0; i < njobs; i++) if (jobs[i]->id == id) kill_job(jobs[i]);
    return;
  }
  if (p[0] != 1 || len < 26) _exit(3);
  uint32_t id = rd32(p + 1), timeout = rd32(p + 5), max_out = rd32(p + 9), uid = rd32(p + 13), gid = rd32(p + 17);
  int sw = p[21];
  unsigned argc = rd16(p + 22), envc = rd16(p + 24);
  if (argc == 0) _exit(3);
  char **argv = calloc(argc + 1, sizeof *argv), **envp = calloc(envc + 1, sizeof *envp);
  if (!argv || !envp) abort();
  const char *s = (const char *)p + 26, *end = (const char *)p + len;
  for (unsigned i = 0; i < argc + envc; i++) {
    const char *nul = memchr(s, 0, (size_t)(end - s));
    if (!nul) _exit(3);
    if (i < argc) argv[i] = (char *)s; else envp[i - argc] = (char *)s;
    s = nul + 1;
  }
  start(id, timeout, max_out, (uid_t)uid, (gid_t)gid, sw, argv, envp);
  free(argv);
  free(envp);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  /* the daemon decides when scripts stop: a terminal's ^C or systemd's SIGTERM to the group must not end this helper
   * before the daemon has run its stop scripts; it ends when its input closes */
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  respond(0, 3, PROTOCOL, 0, 0, NULL, NULL);

  unsigned char *in = malloc(MAX_FRAME + 4);
  if (!in) return 1;
  uint32_t have = 0;
  int input_open = 1;
  struct pollfd fds[2 + 2 * MAX_JOBS];
  while (input_open || njobs > 0) {
    uint64_t now = now_us();
    int64_t wait_us = -1;
    for (int i = 0; i < njobs; i++) {
      struct job *j = jobs[i];
      uint64_t due = j->exited ? j->exited_at + PIPE_GRACE_US : (j->timed_out ? 0 : j->deadline);
      if (!due) continue;
      int64_t d = due > now ? (int64_t)(due - now) : 0;
      if (wait_us < 0 || d < wait_us) wait_us = d;
    }
    int n = 0;
    fds[n++] = (struct pollfd){sigpipe_fds[0], POLLIN, 0};
    if (input_open) fds[n++] = (struct pollfd){0, POLLIN, 0};
    for (int i = 0; i < njobs; i++) {
      if (jobs[i]->out.fd >= 0) fds[n++] = (struct pollfd){jobs[i]->out.fd, POLLIN, 0};
      if (jobs[i]->err.fd >= 0) fds[n++] = (struct pollfd){jobs[i]->err.fd, POLLIN, 0};
    }
    int timeout_ms = wait_us < 0 ? -1 : (int)((wait_us + 999) / 1000);
    if (poll(fds, (nfds_t)n, timeout_ms) < 0 && errno != EINTR) return 1;

    char c[64];
    while (read(sigpipe_fds[0], c, sizeof c) > 0) {}
    reap();
    for (int i = 0; i < njobs; i++) {
      if (jobs[i]->out.fd >= 0) drain(&jobs[i]->out);
      if (jobs[i]->err.fd >= 0) drain(&jobs[i]->err);
    }
    if (input_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = read(0, in + have, MAX_FRAME + 4 - have);
      if (r < 0 && errno != EINTR && errno != EAGAIN) r = 0;
      if (r == 0) {
        input_open = 0;
        kill_all();
      } else if (r > 0) {
        have += (uint32_t)r;
        for (;;) {
          if (have < 4) break;
          uint32_t len = rd32(in);
          if (len > MAX_FRAME) _exit(3);
          if (have < 4 + len) break;
          request(in + 4, len);
          memmove(in, in + 4 + len, have - 4 - len);
          have -= 4 + len;
        }
      }
    }
    now = now_us();
    for (int i = 0; i < njobs;) {
      struct job *j = jobs[i];
      if (!j->exited && !j->timed_out && now >= j->deadline) {
        j->timed_out = 1;
        kill_job(j);
      }
      if (j->exited && ((j->out.fd < 0 && j->err.fd < 0) || now >= j->exited_at + PIPE_GRACE_US)) {
        finish(i);
        continue;
      }
      i++;
    }
  }
  return 0;
}
