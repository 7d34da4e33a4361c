/* cli/signals.c: the stop flag, the wait, exit statuses 130/143, SIGHUP as a
 * reload that is not a stop, and the default actions given back. */
#include "cli/signals.h"
#include "test.h"

#include <signal.h>
#include <unistd.h>

static void test_no_signal_yet(void)
{
    char err[256] = "";
    CHECK_INT(signals_install(0, err, sizeof err), 0);
    CHECK_INT(signals_stop_signal(), 0);
    CHECK_INT(atomic_load(signals_stop_flag()), 0);
    CHECK_INT(signals_exit_status(1), 1);
    signals_restore();
    CHECK_INT(signals_wait(), -1); /* nothing installed: no wait for ever */
}

/* SIGINT and SIGTERM raise the flag to their number and wake the waiter;
 * the exit status is 128 + the signal, as a shell reports it. */
static void test_stop_signals(void)
{
    static const struct {
        int sig, status;
    } cases[] = {{SIGINT, 130}, {SIGTERM, 143}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        CHECK_INT(signals_install(SIGNALS_RESTART, err, sizeof err), 0);
        raise(cases[i].sig);
        CHECK_INT(signals_stop_signal(), cases[i].sig);
        CHECK_INT(atomic_load(signals_stop_flag()), cases[i].sig);
        CHECK_INT(signals_wait(), cases[i].sig);
        CHECK_INT(signals_exit_status(1), cases[i].status);
        signals_restore();
        CHECK_INT(signals_stop_signal(), cases[i].sig); /* restore keeps the record */
    }
}

/* SIGHUP (caught only with SIGNALS_HUP) is returned by the wait but is not
 * a stop; signals queued before the wait come out in order, none lost. */
static void test_hup_is_not_a_stop(void)
{
    char err[256] = "";
    CHECK_INT(signals_install(SIGNALS_HUP, err, sizeof err), 0);
    raise(SIGHUP);
    raise(SIGHUP);
    CHECK_INT(signals_stop_signal(), 0);
    raise(SIGTERM);
    CHECK_INT(signals_wait(), SIGHUP);
    CHECK_INT(signals_wait(), SIGHUP);
    CHECK_INT(signals_wait(), SIGTERM);
    CHECK_INT(signals_stop_signal(), SIGTERM);
    signals_restore();
}

/* ONESHOT: the handler runs once, then the action is the default again (a
 * second Ctrl-C kills). restore gives SIGINT/SIGTERM their default back. */
static void test_oneshot_and_restore(void)
{
    char err[256] = "";
    struct sigaction sa;
    CHECK_INT(signals_install(SIGNALS_ONESHOT, err, sizeof err), 0);
    sigaction(SIGINT, NULL, &sa);
    CHECK(sa.sa_handler != SIG_DFL);
    raise(SIGINT);
    sigaction(SIGINT, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL);
    sigaction(SIGTERM, NULL, &sa);
    CHECK(sa.sa_handler != SIG_DFL);
    signals_restore();
    sigaction(SIGTERM, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL);
    sigaction(SIGHUP, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL); /* never caught here, left alone */
    /* a new install clears the previous stop */
    CHECK_INT(signals_install(0, err, sizeof err), 0);
    CHECK_INT(signals_stop_signal(), 0);
    signals_restore();
}

static void test_ignore_pipe(void)
{
    struct sigaction sa;
    signals_ignore_pipe();
    sigaction(SIGPIPE, NULL, &sa);
    CHECK(sa.sa_handler == SIG_IGN);
}

int main(void)
{
    RUN(test_no_signal_yet);
    RUN(test_stop_signals);
    RUN(test_hup_is_not_a_stop);
    RUN(test_oneshot_and_restore);
    RUN(test_ignore_pipe);
    return TEST_SUMMARY();
}
