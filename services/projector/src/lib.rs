//! Projector: per-unit progress, rankings and leader timelines in redb. (Skeleton: filled in by the issue that builds it.)
