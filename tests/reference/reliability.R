# Reference values for tests/test_reliability.py, computed once with R psych and committed.
#
# Run from the repository root:   Rscript tests/reference/reliability.R
# Writes (next to this script):
#   reliability_bfi_agreeableness.csv  psych::bfi A1-A5, A1 reversed (7 - A1), complete rows
#   reliability_simulated.csv          seeded one-factor ordinal items 0-4 (n = 400, k = 8)
#   reliability_reference.json         psych results for both data sets
#
# The data are written to CSV first and read back, so R and Python analyse identical numbers.
# Both sets are complete (listwise): psych's default use = "pairwise" then equals soskulib's
# listwise deletion.
suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

here <- "tests/reference"

make_bfi <- function() {
  x <- psych::bfi[, c("A1", "A2", "A3", "A4", "A5")]
  x$A1 <- 7 - x$A1 # reverse-keyed; response range 1-6
  x <- na.omit(x)
  rownames(x) <- NULL
  x
}

make_simulated <- function() {
  set.seed(20180517)
  n <- 400
  lambda <- c(0.80, 0.75, 0.70, 0.65, 0.60, 0.55, 0.45, 0.35)
  eta <- rnorm(n)
  latent <- outer(eta, lambda) + sweep(matrix(rnorm(n * 8), n), 2, sqrt(1 - lambda^2), "*")
  # Cut into 0-4 with skewed thresholds so floors/ceilings differ between items.
  cuts <- c(-1.5, -0.5, 0.4, 1.2)
  x <- apply(latent, 2, function(v) findInterval(v + runif(1, -0.4, 0.4), cuts))
  x <- as.data.frame(x)
  names(x) <- sprintf("q%d", 1:8)
  x
}

reference <- function(x, low, high) {
  a <- psych::alpha(x, warnings = FALSE)
  n <- nrow(x)
  k <- ncol(x)
  ci90 <- psych::alpha.ci(a$total$raw_alpha, n, k, p.val = 0.10)
  f_minres <- psych::fa(x, nfactors = 1, fm = "minres")
  f_ml <- psych::fa(x, nfactors = 1, fm = "ml")
  omega_model <- function(f) {
    lam <- as.numeric(f$loadings)
    if (sum(lam) < 0) lam <- -lam
    sum(lam)^2 / (sum(lam)^2 + sum(1 - lam^2))
  }
  om <- suppressWarnings(psych::omega(x, nfactors = 1, plot = FALSE))
  list(
    n = n,
    k = k,
    items = names(x),
    raw_alpha = a$total$raw_alpha,
    std_alpha = a$total$std.alpha,
    feldt_95 = unname(c(a$feldt$lower.ci, a$feldt$upper.ci)),
    feldt_90 = unname(c(ci90$lower.ci, ci90$upper.ci)),
    r_drop = a$item.stats$r.drop,
    alpha_drop = a$alpha.drop$raw_alpha,
    item_mean = a$item.stats$mean,
    item_sd = a$item.stats$sd,
    loadings_minres = as.numeric(f_minres$loadings),
    loadings_ml = as.numeric(f_ml$loadings),
    omega_model_minres = omega_model(f_minres),
    omega_model_ml = omega_model(f_ml),
    omega_tot_psych = om$omega.tot,
    low = low,
    high = high,
    floor_pct = as.numeric(colMeans(x == low) * 100),
    ceiling_pct = as.numeric(colMeans(x == high) * 100),
    psych_version = as.character(packageVersion("psych")),
    r_version = R.version.string
  )
}

bfi_path <- file.path(here, "reliability_bfi_agreeableness.csv")
sim_path <- file.path(here, "reliability_simulated.csv")
write.csv(make_bfi(), bfi_path, row.names = FALSE)
write.csv(make_simulated(), sim_path, row.names = FALSE)

out <- list(
  source = paste(
    "psych::alpha (raw_alpha, std.alpha, feldt, item.stats$r.drop, alpha.drop$raw_alpha),",
    "psych::alpha.ci (p.val = 0.10 for the 90 % interval), psych::fa(nfactors = 1, fm = 'minres'|'ml')",
    "loadings -> omega = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)),",
    "psych::omega(nfactors = 1)$omega.tot; made by tests/reference/reliability.R"
  ),
  bfi_agreeableness = reference(read.csv(bfi_path), 1, 6),
  simulated = reference(read.csv(sim_path), 0, 4)
)
write_json(out, file.path(here, "reliability_reference.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
cat("wrote", file.path(here, "reliability_reference.json"), "\n")
