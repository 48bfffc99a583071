//! The wait between two attempts to reach the stream again, for every reader that follows it.

use std::time::Duration;

/// The first wait after a broker fault; doubled after each failure.
const FIRST: Duration = Duration::from_millis(100);
/// The longest wait between two attempts: a broker back after a restart is found within this.
const MOST: Duration = Duration::from_secs(5);

/// Doubling waits from 100 ms to 5 s, started afresh once the reader is healthy again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Backoff(FIRST)
    }
}

impl Backoff {
    /// The wait to take now; the next one is twice as long, up to the most.
    pub fn take(&mut self) -> Duration {
        let wait = self.0;
        self.0 = (self.0 * 2).min(MOST);
        wait
    }

    /// The wait [`Backoff::take`] will take, for a log line.
    pub fn peek(&self) -> Duration {
        self.0
    }

    /// The reader is healthy again: the next fault starts from the first wait.
    pub fn reset(&mut self) {
        self.0 = FIRST;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_five_seconds_and_starts_again_when_reset() {
        let mut b = Backoff::default();
        let waits: Vec<_> = (0..8).map(|_| b.take().as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        b.reset();
        assert_eq!(b.take(), FIRST);
    }
}
