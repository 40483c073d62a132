"""`make soak`: bounded load through the real proxy while backends die, restart and fail."""
