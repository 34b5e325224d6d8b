//! CPU-bound work (Argon2 password checks, PNG charts, parsing a definition) runs here, on tokio's
//! blocking threads, at most one job per core at a time: on the async workers it would stall every
//! other request (a 2-core machine has two of them), and unbounded it would let a burst of sign-ins
//! take all the memory (Argon2 uses 19 MiB a check).

use tokio::sync::Semaphore;

use crate::error::ApiError;

pub struct CpuPool {
    permits: Semaphore,
}

impl Default for CpuPool {
    fn default() -> CpuPool {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        CpuPool {
            permits: Semaphore::new(cores),
        }
    }
}

impl CpuPool {
    /// Runs `work` off the async workers once a core is free, and returns its result.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _turn = self.permits.acquire().await.map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(ApiError::internal)
    }
}
