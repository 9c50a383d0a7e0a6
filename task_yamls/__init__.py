"""lm-eval task definitions of AMUSE (YAML only); a package so an installed wheel can locate them."""
