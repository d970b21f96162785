"""carepolicy engine: policy loading, dated parameters, claim evaluation and simulation."""
