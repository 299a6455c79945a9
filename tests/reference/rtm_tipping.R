# Outside references for soskulib.rtm.rtm_adjusted and soskulib.attrition.tipping_point
# (tests/test_attrition.py reads the JSON). Run from the repository root:
#   Rscript tests/reference/rtm_tipping.R
# 1. Regression to the mean, by simulation rather than by the formula: bivariate-normal
#    baseline and follow-up scores with no true change (mean mu, SD sigma, correlation rho =
#    the reliability), clients selected when their baseline is below a cut-off; the mean
#    change of the selected is the RTM effect that (1 - rho) * (mu - mean(baseline)) predicts
#    (Davis 1976; Barnett, van der Pols & Dobson 2005). 4e6 draws, so the Monte Carlo SE of
#    the mean change is below 0.01 score points.
# 2. Tipping point: the first crossing of zero by linear interpolation, R approx().
suppressMessages(library(jsonlite))
set.seed(20151)
rtm <- list()
cases <- list(list(mu = 50, sigma = 10, rho = 0.8, cut = 45),
              list(mu = 100, sigma = 15, rho = 0.6, cut = 85),
              list(mu = -12, sigma = 8, rho = 0.86, cut = -16))
for (i in seq_along(cases)) {
  p <- cases[[i]]
  n <- 4e6
  z1 <- rnorm(n); z2 <- p$rho * z1 + sqrt(1 - p$rho^2) * rnorm(n)
  x1 <- p$mu + p$sigma * z1; x2 <- p$mu + p$sigma * z2
  sel <- x1 < p$cut
  rtm[[i]] <- c(p, list(mean_pre = mean(x1[sel]), mean_change = mean(x2[sel] - x1[sel]),
                         mc_se = sd(x2[sel] - x1[sel]) / sqrt(sum(sel))))
}
tip <- function(d, v) {
  o <- order(-d); d <- d[o]; v <- v[o]
  if (v[1] <= 0) return(0)
  i <- which(v <= 0)[1]
  if (is.na(i)) return(NA)
  approx(v[(i - 1):i], d[(i - 1):i], xout = 0)$y
}
curves <- list(list(d = c(0, -0.1, -0.2, -0.3), v = c(0.25, 0.12, 0.01, -0.09)),
               list(d = c(-0.5, 0, -1, -0.25, -0.75), v = c(0.05, 0.31, -0.2, 0.2, -0.07)),
               list(d = c(0, -0.5), v = c(0.3, 0.2)))
tips <- lapply(curves, function(cv) c(cv, list(tip = tip(cv$d, cv$v))))
write_json(list(rtm = rtm, tipping = tips, R = R.version.string),
           "tests/reference/rtm_tipping_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
