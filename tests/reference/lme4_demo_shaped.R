# lme4 reference for the demo-shaped regression test of soskulib.models (tests/test_models.py).
# Run from the repository root:  Rscript tests/reference/lme4_demo_shaped.R
# Data: tests/reference/lme4_demo_shaped.csv (simulate_demo_shaped() in lme4_simulate.py):
# 1,200 clients, 10 municipalities, 3 occasions, no follow-up for gender 'other', so lme4
# drops occasionfollowup:genderother ("fixed-effect model matrix is rank deficient").
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
d <- read.csv("tests/reference/lme4_demo_shaped.csv",
              colClasses = c(client_id = "character", municipality = "character"))
d$occasion <- factor(d$occasion, levels = c("baseline", "end", "followup"))
d$gender <- factor(d$gender, levels = c("female", "male", "other"))
# tight optimiser tolerances: the REML surface is flat in the municipality variance (10
# municipalities), and the default stops ~1e-7 short of the maximum in log-likelihood
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
tidy <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  list(terms = names(fixef(fit)), estimate = unname(fixef(fit)),
       se = unname(sqrt(diag(as.matrix(vcov(fit))))),
       dropped = names(attr(getME(fit, "X"), "col.dropped")),
       vc_group = vc$grp, vc_variance = vc$vcov,
       reml_loglik = as.numeric(logLik(fit)), nobs = nobs(fit))
}
nested <- lmer(total ~ occasion * gender + (1 | municipality / client_id), data = d,
               REML = TRUE, control = ctrl)
client <- lmer(total ~ occasion * gender + municipality + (1 | client_id), data = d,
               REML = TRUE, control = ctrl)
out <- list(lme4_version = as.character(packageVersion("lme4")), r_version = R.version.string,
            nested = tidy(nested), client = tidy(client))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "tests/reference/lme4_demo_shaped.json")
cat("wrote tests/reference/lme4_demo_shaped.json\n")
