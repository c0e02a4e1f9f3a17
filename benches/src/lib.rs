//! Empty: this package holds the criterion benches in `benches/`.
