//! The mutex helper and the shared-state handle every part of the simulator uses.
//!
//! A leaf module: it imports nothing from the crate, so the state's owners (`world`,
//! `login`, `ws`, `oauth`) and the aggregate that holds them all (`shared`) can use it
//! without importing each other.

use std::sync::{Arc, Mutex, MutexGuard};

/// Lock a mutex, recovering the data if a previous holder panicked (the simulator never
/// panics on input, but a poisoned lock must not take the whole server down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A cheaply cloned handle to one piece of state behind its own mutex (the world, the login
/// desk). Handlers that need only that piece take it as their axum state (`FromRef`).
#[derive(Debug, Default)]
pub(crate) struct Handle<T>(Arc<Mutex<T>>);

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle(Arc::clone(&self.0))
    }
}

impl<T> Handle<T> {
    /// A handle to a new piece of state.
    pub(crate) fn new(value: T) -> Self {
        Handle(Arc::new(Mutex::new(value)))
    }

    /// Lock the state (see [`lock`]).
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        lock(&self.0)
    }
}

/// Where the simulator is reachable, known once the listener is bound.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    pub base: String,
    pub flex_base: String,
}
