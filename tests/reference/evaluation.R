# Reference values for tests/test_intervals.py, test_survival.py, test_process.py and
# test_synthesis.py (soskulib.intervals, survival, process, synthesis; the evaluation figures).
# Run once from this folder: Rscript evaluation.R  (needs survival, jsonlite).
# Writes evaluation_km_data.csv, evaluation_lm_data.csv and evaluation_reference.json.
suppressMessages({library(survival); library(jsonlite)})
set.seed(2015)

# --- Kaplan-Meier: three groups with ties and censoring, plus a curve flat at exactly 0.5 ---
n <- c(a = 40, b = 25, c = 12)
km <- do.call(rbind, lapply(names(n), function(g) {
  t <- round(rexp(n[[g]], rate = 1 / 120))          # days, rounded -> ties
  cens <- round(runif(n[[g]], 30, 400))
  data.frame(group = g, days = pmin(t, cens), ended = as.integer(t <= cens))
}))
km <- rbind(km, data.frame(group = "d", days = c(10, 20, 30, 40, 50, 60), ended = c(1, 1, 1, 1, 1, 0)))
write.csv(km, "evaluation_km_data.csv", row.names = FALSE)

km_ref <- list()
for (ct in c("log", "log-log", "plain")) {
  fit <- survfit(Surv(days, ended) ~ group, data = km, conf.type = ct)
  tab <- summary(fit)$table
  km_ref[[ct]] <- lapply(seq_len(nrow(tab)), function(i) list(
    group = sub("group=", "", rownames(tab)[i]),
    median = unname(tab[i, "median"]),
    lower = unname(tab[i, "0.95LCL"]),
    upper = unname(tab[i, "0.95UCL"])))
  # the full curve of group a, for surv / std.err / limits
  fa <- survfit(Surv(days, ended) ~ 1, data = subset(km, group == "a"), conf.type = ct)
  km_ref[[paste0(ct, "_curve_a")]] <- list(time = fa$time, n_risk = fa$n.risk, surv = fa$surv,
                                           std_err = fa$std.err, lower = fa$lower, upper = fa$upper)
}

# --- Mechanisms: OLS of change on fidelity elements, log(1 + hours) and baseline ---
m <- 150
lm_data <- data.frame(
  needs_assessment = rbinom(m, 1, 0.8), plan_with_goals = rbinom(m, 1, 0.7),
  intensive_individual_work = rbinom(m, 1, 0.5), group_activity = rbinom(m, 1, 0.6),
  hours = round(rgamma(m, 2, 1 / 10), 2), baseline = round(rnorm(m, 50, 10), 1))
lm_data$change <- round(2 + 1.5 * lm_data$plan_with_goals + 1 * log1p(lm_data$hours)
                        - 0.2 * (lm_data$baseline - 50) + rnorm(m, 0, 5), 2)
write.csv(lm_data, "evaluation_lm_data.csv", row.names = FALSE)
fit <- lm(change ~ needs_assessment + plan_with_goals + intensive_individual_work +
            group_activity + log1p(hours) + baseline, data = lm_data)
ci <- confint(fit)
co <- summary(fit)$coefficients
lm_ref <- list(term = c("needs_assessment", "plan_with_goals", "intensive_individual_work",
                        "group_activity", "log_hours", "baseline"),
               estimate = unname(co[-1, 1]), se = unname(co[-1, 2]), p_value = unname(co[-1, 4]),
               ci_low = unname(ci[-1, 1]), ci_high = unname(ci[-1, 2]), n = nobs(fit))

# --- Wilson intervals (prop.test without continuity correction) ---
x <- c(0, 1, 3, 7, 19, 20); nn <- c(20, 20, 10, 30, 20, 20)
wil <- t(sapply(seq_along(x), function(i) prop.test(x[i], nn[i], correct = FALSE)$conf.int))
wilson <- list(x = x, n = nn, low = wil[, 1], high = wil[, 2])

# --- t interval of a mean (fidelity index) ---
el <- c(4, 3, 2, 4, 1, 0, 4, 2, 3, 3) / 4
tt <- t.test(el)$conf.int

write_json(list(km = km_ref, lm = lm_ref, wilson = wilson,
                t_interval = list(x = el, low = tt[1], high = tt[2]),
                R = R.version.string, survival = as.character(packageVersion("survival"))),
           "evaluation_reference.json", digits = NA, auto_unbox = TRUE, na = "null")
