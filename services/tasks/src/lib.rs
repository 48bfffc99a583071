//! Tasks service: plans, task lifecycle and inspection findings. (Skeleton: filled in by the issue that builds it.)
