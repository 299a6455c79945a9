# Reference values for soskulib.standardised.with_smcr (tests/test_standardised.py reads the JSON).
# Run from the repository root:  Rscript tests/reference/standardised.R
# metafor escalc(measure = "SMCR") and summary() for the Wald CI; sign flipped for
# lower-is-better rows so that positive = improvement.
library(metafor)
library(jsonlite)

rows <- data.frame(
  n = c(25, 40, 12, 160),
  mean_pre = c(20.1, 30.0, 5.2, 61.4),
  sd_pre = c(5.2, 8.0, 1.9, 14.2),
  mean_post = c(23.4, 27.0, 5.9, 64.0),
  r_prepost = c(0.55, 0.6, 0.3, 0.72),
  higher_is_better = c(TRUE, FALSE, TRUE, TRUE)
)
out <- list()
for (level in c(95, 90)) {
  es <- escalc(measure = "SMCR", m1i = mean_post, m2i = mean_pre, sd1i = sd_pre, ni = n,
               ri = r_prepost, data = rows)
  sign <- ifelse(rows$higher_is_better, 1, -1)
  s <- summary(escalc(measure = "GEN", yi = sign * es$yi, vi = es$vi), level = level)
  out[[as.character(level)]] <- list(yi = as.numeric(s$yi), vi = as.numeric(s$vi),
                                     ci_low = s$ci.lb, ci_high = s$ci.ub)
}
write_json(list(rows = rows, levels = out, metafor = as.character(packageVersion("metafor"))),
           "tests/reference/standardised_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
