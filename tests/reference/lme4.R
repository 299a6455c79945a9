# Reference values for soskulib.models, computed with R lme4.
# Run from the repository root:  Rscript tests/reference/lme4.R
# Data: tests/reference/lme4_change.csv (made by tests/reference/lme4_simulate.py).
# Writes tests/reference/lme4.json.
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
d <- read.csv("tests/reference/lme4_change.csv",
              colClasses = c(client_id = "character", municipality = "character"))
d$occasion <- factor(d$occasion, levels = c("baseline", "end"))
d$gender <- factor(d$gender, levels = c("female", "male"))

tidy <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  list(terms = names(fixef(fit)), estimate = unname(fixef(fit)),
       se = unname(sqrt(diag(as.matrix(vcov(fit))))),
       vc_group = vc$grp, vc_variance = vc$vcov,
       reml_loglik = as.numeric(logLik(fit)), nobs = nobs(fit))
}
nested <- lmer(total ~ occasion * gender + (1 | municipality / client_id), data = d, REML = TRUE)
client <- lmer(total ~ occasion * gender + municipality + (1 | client_id), data = d, REML = TRUE)
covar <- lmer(total ~ occasion * gender + age + (1 | municipality / client_id), data = d,
              REML = TRUE)
out <- list(lme4_version = as.character(packageVersion("lme4")), r_version = R.version.string,
            nested = tidy(nested), client = tidy(client), nested_age = tidy(covar))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "tests/reference/lme4.json")
cat("wrote tests/reference/lme4.json\n")
