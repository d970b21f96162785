"""Excel functions over the carepolicy engine, for xlwings."""
