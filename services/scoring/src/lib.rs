//! Scoring service: PAR INDEX frameworks and score changes. (Skeleton: filled in by the issue that builds it.)
