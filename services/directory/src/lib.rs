//! Directory service: units, people and leader tenures. (Skeleton: filled in by the issue that builds it.)
