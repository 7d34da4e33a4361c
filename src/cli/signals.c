/* Stop signals for the commands: see signals.h. */
#include "cli/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

/* Lock-free atomics are async-signal-safe and safe across threads. */
static atomic_int stop_sig;
static int sig_pipe[2] = {-1, -1};
static int hup_caught; /* SIGHUP is ours to restore */

static void on_signal(int sig)
{
    int saved = errno;
    if (sig != SIGHUP)
        atomic_store(&stop_sig, sig);
    if (sig_pipe[1] >= 0) {
        unsigned char b = (unsigned char)sig;
        ssize_t r = write(sig_pipe[1], &b, 1); /* full pipe: a signal is pending anyway */
        (void)r;
    }
    errno = saved;
}

static void set_handlers(void (*handler)(int), int sa_flags, int hup)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = sa_flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (hup)
        sigaction(SIGHUP, &sa, NULL);
}

int signals_install(int flags, char *err, size_t errlen)
{
    if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        sig_pipe[0] = sig_pipe[1] = -1;
        return err_set(err, errlen, "cannot create the signal pipe: %s", strerror(errno));
    }
    atomic_store(&stop_sig, 0);
    hup_caught = (flags & SIGNALS_HUP) != 0;
    set_handlers(on_signal,
                 (flags & SIGNALS_ONESHOT ? SA_RESETHAND : 0) |
                     (flags & SIGNALS_RESTART ? SA_RESTART : 0),
                 flags & SIGNALS_HUP);
    return 0;
}

void signals_restore(void)
{
    set_handlers(SIG_DFL, 0, hup_caught);
    hup_caught = 0;
    if (sig_pipe[0] >= 0) {
        close(sig_pipe[0]);
        close(sig_pipe[1]);
        sig_pipe[0] = sig_pipe[1] = -1;
    }
}

void signals_ignore_pipe(void)
{
    signal(SIGPIPE, SIG_IGN);
}

const atomic_int *signals_stop_flag(void)
{
    return &stop_sig;
}

int signals_stop_signal(void)
{
    return atomic_load(&stop_sig);
}

int signals_exit_status(int otherwise)
{
    int sig = signals_stop_signal();
    return sig ? 128 + sig : otherwise;
}

int signals_wait(void)
{
    if (sig_pipe[0] < 0)
        return -1;
    for (;;) {
        unsigned char sig = 0;
        struct pollfd pfd = {.fd = sig_pipe[0], .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0 || read(sig_pipe[0], &sig, 1) != 1)
            continue; /* EINTR, or another reader was first */
        return sig;
    }
}
