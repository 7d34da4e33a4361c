/* Dashboard main loop (see dashboard.h). One thread: the loop blocks in
 * curl_multi_poll() on the regions' sockets plus stdin, so it wakes for a key
 * or an answer and otherwise sleeps until the next check is due (idle CPU is
 * a few wake-ups per second). It redraws only after something changed, and
 * curses sends only the cells that differ. */
#include "tui/dashboard.h"

#include <curses.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tui/dash.h"
#include "tui/fleet.h"
#include "tui/ui.h"
#include "tui/view_overview.h"
#include "tui/view_perf.h"
#include "tui/view_recs.h"
#include "tui/view_system.h"
#include "tui/expfetch.h"
#include "tui/view_experiments.h"
#include "tui/insfetch.h"
#include "tui/view_insights.h"
#include "util/clock.h"
#include "util/error.h"

#define WAIT_MAX_MS      250 /* upper bound on one sleep, so a resize shows quickly */
#define MODELS_REFRESH_S 5.0 /* the System view re-reads the model list this often */

/* Under AddressSanitizer its own reports on SIGSEGV matter more than a tidy
 * terminal, so the fatal-signal handlers stay out of its way. */
#if defined(__SANITIZE_ADDRESS__)
#define FATAL_HANDLERS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FATAL_HANDLERS 0
#endif
#endif
#ifndef FATAL_HANDLERS
#define FATAL_HANDLERS 1
#endif

static volatile sig_atomic_t got_stop_signal;
static int curses_active;

static void on_stop_signal(int sig)
{
    got_stop_signal = sig;
}

/* Fatal signals: give the terminal back, then die the default way. */
static void on_fatal_signal(int sig)
{
    if (curses_active)
        endwin();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void restore_at_exit(void)
{
    if (curses_active) {
        endwin();
        curses_active = 0;
    }
}

/* --- frame ---------------------------------------------------------------- */

static const char *view_names[VIEW_COUNT][2] = {{"Overview", "Overview"},
                                                {"Performance", "Perf"},
                                                {"Recommendations", "Recs"},
                                                {"System", "System"},
                                                {"Experiments", "Exp"},
                                                {"Data & evaluation", "Data"}};

static int unhealthy_count(const struct tui_data *d)
{
    int n = 0;
    for (int i = 0; i < d->n_regions; i++)
        n += d->r[i].fsm.status == REGION_DOWN || d->r[i].fsm.status == REGION_DEGRADED;
    return n;
}

static void draw_header(struct dash *ds)
{
    int x = 0, narrow = COLS < 100;
    ui_text(0, 0, COLS, ui_attr(ds, UI_TITLE), " recsys-tui ");
    x = 12;
    for (int v = 0; v < VIEW_COUNT; v++) {
        int attr = v == ds->view ? ui_attr(ds, UI_SELECTED) : ui_attr(ds, UI_NORMAL);
        char lab[40];
        int n = snprintf(lab, sizeof lab, " %d %s ", v + 1, view_names[v][narrow]);
        ui_text(0, x, COLS - x, attr, "%s", lab);
        x += n + 1;
    }
    char clock[16];
    time_t t = time(NULL);
    strftime(clock, sizeof clock, "%H:%M:%S", localtime(&t));
    const char *mode = ds->ops ? "" : "monitor ";
    int len = (int)(strlen(mode) + strlen(clock)) + 1;
    if (COLS - len > x)
        ui_text(0, COLS - len, len, ui_attr(ds, UI_DIM), "%s%s", mode, clock);
}

/* Row 1, the alert line: a banner when two or more regions are unhealthy or
 * when the regions serve different model versions (both when both hold),
 * else a dim summary. */
static void draw_status_line(struct dash *ds)
{
    struct tui_data *d = ds->d;
    int bad = unhealthy_count(d);
    char versions[160];
    fleet_versions_alert(d, versions, sizeof versions);
    if (bad >= 2 || versions[0]) {
        char names[160] = "", text[400];
        size_t used = 0;
        for (int i = 0; i < d->n_regions && bad >= 2; i++) {
            enum region_status s = d->r[i].fsm.status;
            if (s == REGION_DOWN || s == REGION_DEGRADED)
                used += (size_t)snprintf(names + used, sizeof names - used, "%s%s %s",
                                         used ? ", " : "", d->r[i].name, poller_status_word(s));
            if (used >= sizeof names)
                break;
        }
        if (bad >= 2)
            snprintf(text, sizeof text, "%d of %d regions unhealthy (%s)%s%s", bad, d->n_regions,
                     names, versions[0] ? "; model versions differ: " : "", versions);
        else
            snprintf(text, sizeof text, "model versions differ: %s", versions);
        attron(ui_attr(ds, UI_BANNER));
        mvhline(1, 0, ' ', COLS);
        attroff(ui_attr(ds, UI_BANNER));
        ui_text(1, 0, COLS, ui_attr(ds, UI_BANNER), " ALERT: %s", text);
        return;
    }
    int up = 0;
    for (int i = 0; i < d->n_regions; i++)
        up += d->r[i].fsm.status == REGION_UP;
    ui_text(1, 0, COLS, ui_attr(ds, UI_DIM), " %d/%d regions UP  -  polling every %.1f s%s", up,
            d->n_regions, d->interval_s, bad ? "  -  1 region unhealthy" : "");
}

static void draw_footer(struct dash *ds)
{
    int y = LINES - 1;
    if (ds->flash[0] && clock_monotonic() - ds->flash_at < UI_FLASH_S) {
        ui_text(y, 0, COLS, ui_attr(ds, UI_ACCENT), " %s", ds->flash);
        return;
    }
    static const char *hints[VIEW_COUNT] = {
        "<-/-> select region  s stop  r restart",
        "<-/-> select  m metric  g glyphs",
        "/ user id  R random  +/- count  a region",
        "Up/Down  a activate  b roll back  u refresh",
        "Up/Down select  s stop  P promote leader (twice)  u refresh",
        "e data/evaluation  a algorithm  <-/-> region  u refresh",
    };
    if (ds->view == VIEW_RECS && ds->editing)
        ui_text(y, 0, COLS, ui_attr(ds, UI_ACCENT),
                " typing a user id: Enter look up  Esc cancel  Ctrl-U clear  F10 quit");
    else
        ui_text(y, 0, COLS, ui_attr(ds, UI_DIM), " 1-6/Tab view  ? help  q quit | %s",
                hints[ds->view]);
}

static void draw_help(struct dash *ds)
{
    static const char *lines[] = {
        "Keys",
        "1 .. 6, Tab, Shift-Tab   switch view",
        "? or F1                  this help (any key closes)",
        "q or F10                 quit",
        "Left/Right, h/l          select a region (cards, charts)",
        "s / r                    stop / restart the selected region",
        "                         (fault injection; not in --monitor mode)",
        "m / g                    chart metric (p99, p50, rtt) / glyphs",
        "/ or i                   type a user id (Enter looks up, Esc)",
        "R                        random user with purchase history",
        "+ / -                    recommendation count",
        "a (view 3)               region: all regions or one",
        "PgUp/PgDn                scroll the recommendation table",
        "Up/Down a b u (view 4)   model: select, activate, roll back, refresh",
        "Up/Down s P u (view 5)   experiment: select, stop, promote, refresh",
        "e, a, u (view 6)         data/evaluation page, algorithm, refresh",
        "Status: DOWN after 3 failed checks in a row, UP after one success,",
        "DEGRADED as the region reports it; DIFFERS: not the fleet's version.",
    };
    int n = (int)(sizeof lines / sizeof lines[0]);
    int w = 72 < COLS - 2 ? 72 : COLS - 2, h = n + 2 < LINES - 2 ? n + 2 : LINES - 2;
    int y = (LINES - h) / 2, x = (COLS - w) / 2;
    for (int i = 0; i < h; i++)
        mvhline(y + i, x, ' ', w);
    ui_box(y, x, h, w, ui_attr(ds, UI_TITLE), "Help");
    for (int i = 0; i < n && i < h - 2; i++)
        ui_text(y + 1 + i, x + 2, w - 4, i == 0 ? A_BOLD : A_NORMAL, "%s", lines[i]);
}

static void draw(struct dash *ds)
{
    erase();
    int h = LINES - 3, w = COLS;
    if (LINES < 10 || COLS < 40) {
        ui_text(0, 0, COLS, A_BOLD, "terminal too small (%dx%d); need 40x10", COLS, LINES);
        refresh();
        return;
    }
    draw_header(ds);
    draw_status_line(ds);
    switch (ds->view) {
    case VIEW_OVERVIEW:
        view_overview_draw(ds, 2, h, w);
        break;
    case VIEW_PERF:
        view_perf_draw(ds, 2, h, w);
        break;
    case VIEW_RECS:
        view_recs_draw(ds, 2, h, w);
        break;
    case VIEW_EXPERIMENTS:
        view_experiments_draw(ds, 2, h, w);
        break;
    case VIEW_INSIGHTS:
        view_insights_draw(ds, 2, h, w);
        break;
    default:
        view_system_draw(ds, 2, h, w);
    }
    draw_footer(ds);
    if (ds->help)
        draw_help(ds);
    refresh();
}

/* Stops or restarts the selected region's server through dashboard_ops;
 * --monitor has none. The outcome goes to the flash line. */
static void fault(struct dash *ds, int stop)
{
    const char *name = ds->d->r[ds->sel_region].name;
    const struct dashboard_ops *ops = ds->ops;
    int (*fn)(void *, const char *) = ops ? (stop ? ops->region_stop : ops->region_start) : NULL;
    if (!fn) {
        ui_flash(ds, "fault injection is not available in monitor mode");
        return;
    }
    if (fn(ops->ctx, name) == 0)
        ui_flash(ds, "%s %s", stop ? "stopped" : "restarted", name);
    else
        ui_flash(ds, "could not %s %s", stop ? "stop" : "restart", name);
}

/* Global keys first, then the view's own; typing into the user id field
 * takes every printable key so ids with digits do not switch views. */
static void handle_key(struct dash *ds, int ch)
{
    /* Any key closes the help, but a resize is not a key: a SIGWINCH that
     * ncurses reports late (a busy machine) must not close it. */
    if (ds->help && ch != KEY_RESIZE) {
        ds->help = 0;
        if (ch != 'q')
            return;
    }
    if (ch == KEY_F(10)) {
        ds->quit = 1;
        return;
    }
    if (ch == KEY_F(1)) {
        ds->help = 1;
        return;
    }
    if (ds->view == VIEW_RECS && ds->editing && view_recs_key(ds, ch))
        return;
    switch (ch) {
    case 'q':
    case 'Q':
        ds->quit = 1;
        return;
    case '?':
        ds->help = 1;
        return;
    case '\t':
        ds->view = (ds->view + 1) % VIEW_COUNT;
        return;
    case KEY_BTAB:
        ds->view = (ds->view + VIEW_COUNT - 1) % VIEW_COUNT;
        return;
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
        ds->view = ch - '1';
        return;
    case KEY_RESIZE:
        return;
    }
    int used;
    switch (ds->view) {
    case VIEW_OVERVIEW:
        used = view_overview_key(ds, ch);
        break;
    case VIEW_PERF:
        used = view_perf_key(ds, ch);
        break;
    case VIEW_RECS:
        used = view_recs_key(ds, ch);
        break;
    case VIEW_EXPERIMENTS:
        used = view_experiments_key(ds, ch);
        break;
    case VIEW_INSIGHTS:
        used = view_insights_key(ds, ch);
        break;
    default:
        used = view_system_key(ds, ch);
    }
    /* The fault keys act on the region selected in the views that show them. */
    if (!used && (ch == 's' || ch == 'r') && (ds->view == VIEW_OVERVIEW || ds->view == VIEW_PERF))
        fault(ds, ch == 's');
}

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define N_FATAL ((int)(sizeof fatal_signals / sizeof fatal_signals[0]))

/* The handlers the dashboard replaces, put back when it returns. */
struct saved_signals {
    struct sigaction s_int, s_term, s_pipe, fatal[N_FATAL];
};

/* SIGINT/SIGTERM end the loop (no SA_RESTART: the poll wakes up), SIGPIPE
 * is ignored, fatal signals restore the terminal first. */
static void signals_install(struct saved_signals *old)
{
    struct sigaction sa;
    got_stop_signal = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old->s_int);
    sigaction(SIGTERM, &sa, &old->s_term);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old->s_pipe);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;
    for (int i = 0; i < N_FATAL; i++)
        sigaction(fatal_signals[i], FATAL_HANDLERS ? &sa : NULL, &old->fatal[i]);
}

static void signals_restore(const struct saved_signals *old)
{
    sigaction(SIGINT, &old->s_int, NULL);
    sigaction(SIGTERM, &old->s_term, NULL);
    sigaction(SIGPIPE, &old->s_pipe, NULL);
    for (int i = 0; i < N_FATAL; i++)
        sigaction(fatal_signals[i], &old->fatal[i], NULL);
}

/* Curses on the controlling terminal: 0, or -1 with err. */
static int screen_open(struct dash *ds, SCREEN **scr, char *err, size_t errlen)
{
    setlocale(LC_ALL, "");
    ds->glyphs = ui_glyphs_detect();
    if (!(*scr = newterm(NULL, stdout, stdin)))
        return err_set(err, errlen, "cannot initialise the terminal (TERM=%s)",
                       getenv("TERM") ? getenv("TERM") : "unset");
    curses_active = 1;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    ui_colors_init(ds);
    return 0;
}

int dashboard_run(const struct dashboard_options *o, char *err, size_t errlen)
{
    int rc = -1;
    struct dash ds;
    SCREEN *scr = NULL;
    struct saved_signals old;
    memset(&ds, 0, sizeof ds);
    if (!o || !o->conf)
        return err_code_set(err, errlen, ERR_INVALID, "dashboard_run: no region configuration");
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return err_set(err, errlen,
                       "the dashboard needs a terminal (stdin and stdout are not a tty)");
    ds.ops = o->ops;
    ds.db_path = o->db_path;
    ds.models_at = -HUGE_VAL; /* the first visit to the System view asks at once */
    ds.p = poller_create(o->conf, o->interval_s > 0 ? o->interval_s : 1.0, err, errlen);
    if (!ds.p)
        return -1;
    ds.d = poller_data(ds.p);
    ds.xf = expfetch_create(poller_admin_key(ds.p)); /* NULL: the view says it waits */
    ds.exp_at = -HUGE_VAL;
    ds.inf = insfetch_create(poller_admin_key(ds.p)); /* NULL: the view says it waits */
    ds.ins_at = -HUGE_VAL;
    ds.count = 10;
    ds.region = -1;

    signals_install(&old);
    static int atexit_done;
    if (!atexit_done && atexit(restore_at_exit) == 0)
        atexit_done = 1;
    if (screen_open(&ds, &scr, err, errlen) < 0)
        goto out;

    int dirty = 1;
    time_t last_second = 0;
    while (!ds.quit && !got_stop_signal) {
        /* The header shows the wall-clock time people read, so its second
         * ticking over is a wall-clock event; every interval below is timed
         * with clock_monotonic(). */
        if (time(NULL) != last_second) {
            last_second = time(NULL);
            dirty = 1;
        }
        if (ds.view == VIEW_SYSTEM && clock_monotonic() - ds.models_at >= MODELS_REFRESH_S) {
            ds.models_at = clock_monotonic();
            poller_models_refresh(ds.p);
        }
        if (dirty) {
            draw(&ds);
            dirty = 0;
        }
        int ready = 0;
        int st = poller_step(ds.p, STDIN_FILENO, WAIT_MAX_MS, &ready, err, errlen);
        if (st < 0)
            goto out;
        dirty |= st;
        dirty |= view_experiments_tick(&ds);
        dirty |= view_insights_tick(&ds);
        int ch;
        while ((ch = getch()) != ERR) {
            handle_key(&ds, ch);
            dirty = 1;
        }
    }
    rc = 0;
out:
    if (curses_active) {
        endwin();
        curses_active = 0;
    }
    if (scr)
        delscreen(scr);
    expfetch_destroy(ds.xf);
    insfetch_destroy(ds.inf);
    poller_destroy(ds.p);
    signals_restore(&old);
    return rc;
}
