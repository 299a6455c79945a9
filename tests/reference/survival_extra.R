# Reference for issue 16: survfit's std.err is Inf where the survival estimate reaches 0
# (everyone at risk had the event), and its limits there. soskulib.survival.kaplan_meier must
# report the same (Inf, not NaN).
# Run from the repository root:  Rscript tests/reference/survival_extra.R
# Writes tests/reference/survival_extra.json (data inline, seed 16301).
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
set.seed(16301)
d <- data.frame(days = c(round(rexp(12, 1 / 40)), round(rexp(9, 1 / 60)), 5, 9, 9, 14),
                ended = c(rbinom(12, 1, 0.8), rep(1, 9), 1, 1, 0, 1),
                group = c(rep("a", 12), rep("b", 9), rep("c", 4)))
d$ended[d$group == "a" & d$days == max(d$days[d$group == "a"])] <- 1  # curve a ends at S = 0
out <- list(data = d)
for (ct in c("log", "log-log", "plain")) {
  fit <- survfit(Surv(days, ended) ~ group, data = d, conf.type = ct)
  s <- summary(fit, censored = TRUE)
  out[[ct]] <- list(group = sub("group=", "", as.character(s$strata)), time = s$time,
                    surv = s$surv, std_err = fit$std.err, lower = s$lower, upper = s$upper)
}
writeLines(toJSON(out, digits = NA, na = "string", pretty = FALSE),
           "tests/reference/survival_extra.json")
cat("wrote tests/reference/survival_extra.json\n")
