//! [`Ibkr::exclusive`]: the session to one closure, and the trap it sets caught.
//!
//! The closure is given a handle (`lane`) whose wire holds the session's order lane; every
//! other wire waits for the lane until the closure ends. A request the closure sends
//! through any other handle of the same session (the outer `ibkr` it captured, a builder
//! of the outer `ibkr.raw()`) would therefore wait for a lane its own task holds: a
//! deadlock. This module turns that into [`Error::OutsideExclusiveLane`] at once.
//!
//! **How it is detected.** `exclusive` runs the closure inside a task-local list of the
//! sessions whose lane this task holds (`HELD`). Every request tells the session's wire
//! hook (`attempt_starting`, which runs before the request waits for the lane) which wire
//! it uses; a wire without a hold, from a task that holds the lane of that session, is a
//! stray. The stray is reported to the innermost watcher of that session:
//! - a call through this crate ([`SessionCore::guarded`], the funnel of [`Ibkr::send`] and
//!   every method) watches its own request while the task holds a lane (`CALL`): it drops
//!   the stray request, which is still waiting for the lane and so has sent nothing, and
//!   returns the error to its caller; the closure goes on;
//! - a raw call awaited directly (`ibkr.raw().x().send().await`) has no error to return
//!   this crate's way: `exclusive` stops the closure and returns the error itself
//!   (`closure_stopped: true`).
//!
//! Waits that are not requests are checked where they start: opening the brokerage session
//! (which takes the lane shared) and a nested `exclusive` on the outer handle.
//!
//! A request from another task (`tokio::spawn` inside the closure) is not a stray: it waits
//! for the lane, as every other task does. Awaiting it inside the closure would still
//! deadlock; that case is not detected (task-locals do not follow a spawn).
//!
//! **Ownership.** Both task-locals are values of the task that runs `exclusive`; the
//! watchers are `Notify`s, written by the hook and read by the watcher, in the same task.
//! The closure's lane hold lives until the closure ends, so "the task holds the lane" is
//! true for the whole time the task-local says so.

use std::future::Future;
use std::sync::Arc;

use ibkr_gen::wire::Wire;
use tokio::sync::Notify;

use crate::Ibkr;
use crate::error::{Error, Result};
use crate::session::SessionCore;

tokio::task_local! {
    /// The sessions whose lane this task holds, innermost last.
    static HELD: Vec<Arc<Watch>>;
    /// The call of this crate now running in a task that holds a lane.
    static CALL: Arc<Watch>;
}

/// A watcher of one session's strays.
struct Watch {
    /// The session, by the address of its core (alive while a handle runs here).
    session: usize,
    stray: Notify,
}

impl Watch {
    fn new(core: &SessionCore) -> Arc<Watch> {
        Arc::new(Watch {
            session: id(core),
            stray: Notify::new(),
        })
    }
}

fn id(core: &SessionCore) -> usize {
    core as *const SessionCore as usize
}

/// Whether this task holds the lane of `core`'s session.
pub(crate) fn held(core: &SessionCore) -> bool {
    let id = id(core);
    HELD.try_with(|held| held.iter().any(|w| w.session == id))
        .unwrap_or(false)
}

/// The error for a request of `operation` through a wire that does not hold the lane.
fn stray(operation: &'static str, closure_stopped: bool) -> Error {
    Error::OutsideExclusiveLane {
        operation,
        closure_stopped,
    }
}

/// `Err` when a wait on `wire` for the lane of `core`'s session would never end: this task
/// holds that lane and `wire` does not.
pub(crate) fn check(core: &SessionCore, wire: &Wire, operation: &'static str) -> Result<()> {
    if !wire.holds_lane() && held(core) {
        return Err(stray(operation, false));
    }
    Ok(())
}

/// The wire hook's part: a request on `wire` is about to wait for the lane. Reports it
/// when it is a stray (see the module docs).
pub(crate) fn attempt_starting(core: &SessionCore, wire: &Wire) {
    if wire.holds_lane() || !held(core) {
        return;
    }
    let id = id(core);
    let call = CALL
        .try_with(|w| (w.session == id).then(|| w.clone()))
        .ok()
        .flatten();
    let watch = call.or_else(|| {
        HELD.try_with(|held| held.iter().rev().find(|w| w.session == id).cloned())
            .ok()
            .flatten()
    });
    if let Some(w) = watch {
        w.stray.notify_one();
    }
}

/// Await `call` of `operation` in a task that holds the lane of `core`'s session (see
/// [`held`]): a stray request inside it ends it with [`Error::OutsideExclusiveLane`]
/// instead of a wait without end.
pub(crate) async fn watched<T>(
    core: &SessionCore,
    operation: &'static str,
    call: impl Future<Output = T>,
) -> Result<T> {
    let watch = Watch::new(core);
    CALL.scope(watch.clone(), async {
        tokio::select! {
            biased;
            out = call => Ok(out),
            () = watch.stray.notified() => Err(stray(operation, false)),
        }
    })
    .await
}

impl Ibkr {
    /// Run `f` with the session to itself: `f` gets a handle (`lane`) whose requests go
    /// straight through, while requests of every other handle and task (the keeper's
    /// tickles included) wait until `f` finishes. IBKR cancels a pending order question
    /// when any other request arrives between the question and its reply; the order loop
    /// runs here.
    ///
    /// Inside `f`, send through `lane`. A request through another handle of this session
    /// (the outer `ibkr`, a builder of `ibkr.raw()`) would wait for the lane forever; it
    /// fails at once with [`Error::OutsideExclusiveLane`] instead (and a raw call awaited
    /// directly stops `f`, see that error).
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
    /// let (accounts, state) = ibkr
    ///     .exclusive(|lane| async move {
    ///         let accounts = lane.api().get_accounts().await?;
    ///         Ok((accounts, lane.tickle().await?))
    ///     })
    ///     .await?;
    /// # let _ = (accounts, state); Ok(()) }
    /// ```
    pub async fn exclusive<F, Fut, T>(&self, f: F) -> Result<T>
    where
        F: FnOnce(Ibkr) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let core = self.core();
        check(core, self.raw().wire(), "exclusive")?;
        let lane = self.on_wire(self.raw().wire().exclusive_lane().await);
        // Held until `f` ends, even if `f` drops its handle early: the task-local below
        // says so for exactly that long.
        let _hold = lane.clone();
        let watch = Watch::new(core);
        let mut held = HELD.try_with(Vec::clone).unwrap_or_default();
        held.push(watch.clone());
        // Boxed: the closure's future can be large (an order loop), and this one wraps it.
        let run = Box::pin(f(lane));
        HELD.scope(held, async {
            tokio::select! {
                biased;
                out = run => out,
                () = watch.stray.notified() => Err(stray("exclusive", true)),
            }
        })
        .await
    }
}
