# Reference values for soskulib.synthesis.change_score_model (_random_intercept_reml).
# Input: sign-oriented change scores of complete pairs of the synthetic demo (no identifiers):
# instrument, change, g (gender), m (municipality code).
# Run: Rscript tests/reference/change_score_model.R  (lme4 1.1, jsonlite)
library(lme4)
library(jsonlite)
d <- read.csv("tests/reference/change_score_model_input.csv", colClasses = c(m = "character"))
out <- list()
for (inst in unique(d$instrument)) {
  x <- d[d$instrument == inst, ]
  f <- lmer(change ~ 0 + g + (1 | m), data = x, REML = TRUE)
  vc <- as.data.frame(VarCorr(f))
  out[[inst]] <- list(
    fixef = as.list(fixef(f)), se = as.list(sqrt(diag(as.matrix(vcov(f))))),
    sigma2_municipality = vc$vcov[vc$grp == "m"], sigma2_residual = vc$vcov[vc$grp == "Residual"],
    loglik = as.numeric(logLik(f)))
}
writeLines(toJSON(out, digits = 12, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/change_score_model.json")
