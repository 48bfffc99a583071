//! Evidence service: documents in the object store, content-addressed by SHA-256. (Skeleton: filled in by the issue that builds it.)
