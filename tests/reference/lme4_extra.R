# Reference values for the mixed-model fixes of issue 16 (soskulib.models):
# the municipality-only random-intercept structure, a municipality variance lme4 puts at exactly
# 0, and the optimum of the client structure.
#
# Run from the repository root:  Rscript tests/reference/lme4_extra.R
# Writes tests/reference/lme4_extra.csv (new seeded data, seed 16201 / 16202: six
# municipalities, one without and one with a municipality effect) and lme4_extra.json.

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
here <- "tests/reference"

simulate <- function(seed, sd_mun) {
  set.seed(seed)
  muns <- sprintf("%03d", c(91, 92, 49, 179, 853, 837))
  n_clients <- 180
  mun <- sample(muns, n_clients, replace = TRUE, prob = c(3, 2, 2, 1, 1, 1))
  gender <- sample(c("female", "male"), n_clients, replace = TRUE)
  u <- setNames(rnorm(6, 0, sd_mun), muns)
  c_eff <- rnorm(n_clients, 0, 4)
  rows <- list()
  for (i in seq_len(n_clients)) {
    occ <- c("baseline", "mid", "end")[seq_len(sample(1:3, 1, prob = c(0.2, 0.3, 0.5)))]
    change <- c(baseline = 0, mid = 2, end = 4 + (gender[i] == "male"))
    rows[[i]] <- data.frame(client_id = sprintf("c%03d", i), municipality = mun[i],
                            gender = gender[i], occasion = occ,
                            total = 50 + u[mun[i]] + c_eff[i] + change[occ] + rnorm(length(occ), 0, 3))
  }
  d <- do.call(rbind, rows)
  d$total <- round(d$total, 2)
  d$data_set <- sprintf("seed%d", seed)
  d
}
d <- rbind(simulate(16201, 0), simulate(16202, 2.5))
write.csv(d, file.path(here, "lme4_extra.csv"), row.names = FALSE)
d <- read.csv(file.path(here, "lme4_extra.csv"),
              colClasses = c(client_id = "character", municipality = "character"))

tidy <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  list(terms = names(fixef(fit)), estimate = unname(fixef(fit)),
       se = unname(sqrt(diag(as.matrix(vcov(fit))))),
       vc_group = vc$grp, vc_variance = vc$vcov, theta = unname(getME(fit, "theta")),
       reml_loglik = as.numeric(logLik(fit)), singular = isSingular(fit))
}
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
out <- list(lme4_version = as.character(packageVersion("lme4")), r_version = R.version.string)
for (set in unique(d$data_set)) {
  s <- d[d$data_set == set, ]
  s$occasion <- factor(s$occasion, levels = c("baseline", "mid", "end"))
  s$gender <- factor(s$gender, levels = c("female", "male"))
  out[[set]] <- list(
    municipality = tidy(lmer(total ~ occasion * gender + (1 | municipality), data = s,
                             REML = TRUE, control = ctrl)),
    nested = tidy(lmer(total ~ occasion * gender + (1 | municipality / client_id), data = s,
                       REML = TRUE, control = ctrl)),
    client = tidy(lmer(total ~ occasion * gender + municipality + (1 | client_id), data = s,
                       REML = TRUE, control = ctrl)))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), file.path(here, "lme4_extra.json"))
cat("wrote", file.path(here, "lme4_extra.json"), "\n")
