# Independent R reference values for seeded random cases (tests/test_against_r.py).
#
# Run from the repository root, after the Python generator:
#   .venv/bin/python tests/reference/random_cases_generate.py   # inputs
#   Rscript tests/reference/random_cases.R                      # this script
# Reads  tests/reference/random_cases_input.json  (the numbers drawn by the generator)
# Writes tests/reference/random_cases_reference.json (inputs are not repeated; ids link them).
# Non-finite numbers are written as the strings "NA", "NaN", "Inf", "-Inf".
#
# metafor  : rma() + predict() for FE/DL/REML/PM x z/knha, leave1out(), rma(mods = ~ x),
#            escalc(SMCR/SMCC). Where rma() stops (e.g. REML Fisher scoring not converging)
#            the error message is stored instead and soskulib must raise too.
# psych    : alpha() on na.omit(items) with keys for the reverse-keyed items, alpha.ci()
#            (Feldt), alpha.drop, r.drop.
# base R   : paired d_z / d_av / g_av with noncentral-t limits from uniroot(); reliable change
#            (JT, GLN, EN, HA) and clinical significance written out by hand.
# lme4     : lmer() on three unbalanced data sets with 4-5 municipalities and 3 occasions
#            ("boundary": municipality variance at 0; "optimizer_trap": where statsmodels'
#            L-BFGS used to stop short of the REML maximum; "unbalanced").
# Takes about 30 s.
suppressPackageStartupMessages({
  library(metafor)
  library(psych)
  library(lme4)
  library(jsonlite)
})

here <- "tests/reference"
input <- fromJSON(file.path(here, "random_cases_input.json"), simplifyVector = FALSE)
num <- function(x) vapply(x, function(v) if (is.null(v)) NA_real_ else as.numeric(v), 0)

# ------------------------------------------------------------------------------------------
# 1. rma() + predict() + leave1out()
methods <- c("FE", "DL", "REML", "PM")
tests <- c("z", "knha")
# metafor 3.8 gives no PI for FE models (nor for k = 1): the PI is then the CI.
pi_or_ci <- function(pr, which) {
  v <- pr[[paste0("pi.", which)]]
  if (is.null(v)) pr[[paste0("ci.", which)]] else v
}
tidy_rma <- function(res) {
  pr <- predict(res)
  list(k = res$k, estimate = c(res$beta), se = res$se, zval = res$zval, pval = res$pval,
       ci_low = res$ci.lb, ci_high = res$ci.ub, tau2 = res$tau2, i2 = res$I2, h2 = res$H2,
       q = res$QE, q_pval = res$QEp, pi_low = pi_or_ci(pr, "lb"), pi_high = pi_or_ci(pr, "ub"),
       test = res$test)
}
tidy_loo <- function(res) {
  l <- suppressWarnings(leave1out(res))
  list(estimate = l$estimate, se = l$se, zval = if (is.null(l$zval)) l$tval else l$zval, pval = l$pval, ci_low = l$ci.lb,
       ci_high = l$ci.ub, q = l$Q, q_pval = l$Qp,
       tau2 = if (is.null(l$tau2)) rep(0, res$k) else l$tau2, i2 = l$I2, h2 = l$H2)
}
meta_out <- list()
for (case in input$meta) {
  yi <- num(case$yi)
  vi <- num(case$vi)
  fits <- list()
  for (m in methods) for (t in tests) {
    key <- paste(m, t, sep = "_")
    res <- tryCatch(suppressWarnings(rma(yi, vi, method = m, test = t)),
                    error = function(e) conditionMessage(e))
    if (is.character(res)) {
      fits[[key]] <- list(error = res)
      # metafor's remedy for oscillating Fisher scoring: a halved step (and more iterations)
      retry <- tryCatch(suppressWarnings(rma(yi, vi, method = m, test = t,
                                             control = list(stepadj = 0.5, maxiter = 1000))),
                        error = function(e) NULL)
      if (!is.null(retry)) fits[[key]]$retry <- tidy_rma(retry)
    } else {
      fits[[key]] <- tidy_rma(res)
      if (res$k >= 2 && res$k <= 12) {
        fits[[key]]$loo <- tryCatch(tidy_loo(res), error = function(e) list(error = conditionMessage(e)))
      }
    }
  }
  meta_out[[case$id]] <- fits
}

# ------------------------------------------------------------------------------------------
# 2. meta-regression rma(yi, vi, mods = ~ x1 [+ x2]) and predict(newmods)
reg_out <- list()
for (case in input$regression) {
  d <- data.frame(yi = num(case$yi), vi = num(case$vi), x1 = num(case$x1))
  two <- !is.null(case$x2)
  if (two) d$x2 <- num(case$x2)
  newmods <- if (two) cbind(num(case$newx1), num(case$newx2)) else num(case$newx1)
  fits <- list()
  fit_reg <- function(m, t, control = list()) {
    mods <- if (two) ~ x1 + x2 else ~ x1
    suppressWarnings(rma(yi, vi, mods = mods, data = d, method = m, test = t, control = control))
  }
  tidy_reg <- function(res) {
    pr <- predict(res, newmods = newmods)
    list(
      estimate = c(res$beta), se = res$se, zval = res$zval, pval = res$pval,
      ci_low = res$ci.lb, ci_high = res$ci.ub, qm = res$QM, qm_pval = res$QMp,
      qe = res$QE, qe_pval = res$QEp, tau2 = res$tau2, i2 = res$I2, h2 = res$H2,
      r2 = if (is.null(res$R2)) NA else res$R2,
      pred = pr$pred, pred_se = pr$se, pred_ci_low = pr$ci.lb, pred_ci_high = pr$ci.ub,
      pred_pi_low = pi_or_ci(pr, "lb"), pred_pi_high = pi_or_ci(pr, "ub"))
  }
  for (m in methods) for (t in tests) {
    key <- paste(m, t, sep = "_")
    res <- tryCatch(fit_reg(m, t), error = function(e) conditionMessage(e))
    if (is.character(res)) {
      fits[[key]] <- list(error = res)
      retry <- tryCatch(fit_reg(m, t, list(stepadj = 0.5, maxiter = 1000)),
                        error = function(e) NULL)
      if (!is.null(retry)) fits[[key]]$retry <- tidy_reg(retry)
    } else {
      fits[[key]] <- tidy_reg(res)
    }
  }
  reg_out[[case$id]] <- fits
}

# ------------------------------------------------------------------------------------------
# 3. escalc(SMCR / SMCC): m1i = post, m2i = pre (positive = increase)
s <- lapply(input$smcr, num)
smcr <- escalc(measure = "SMCR", m1i = s$mean_post, m2i = s$mean_pre, sd1i = s$sd_pre,
               ni = s$n, ri = s$r_prepost)
smcc <- escalc(measure = "SMCC", m1i = s$mean_post, m2i = s$mean_pre, sd1i = s$sd_post,
               sd2i = s$sd_pre, ni = s$n, ri = s$r_prepost)
smcr_out <- list(smcr_yi = c(smcr$yi), smcr_vi = c(smcr$vi),
                 smcc_yi = c(smcc$yi), smcc_vi = c(smcc$vi))

# ------------------------------------------------------------------------------------------
# 4. psych::alpha on complete cases, psych reverses the keyed items itself
alpha_out <- list()
for (case in input$alpha) {
  x <- as.data.frame(do.call(rbind, lapply(case$items, num)))
  names(x) <- unlist(case$columns)
  x <- na.omit(x)
  keys <- unlist(case$reverse)
  a <- suppressWarnings(suppressMessages(
    psych::alpha(x, keys = if (length(keys)) keys else NULL, warnings = FALSE)))
  n <- nrow(x)
  k <- ncol(x)
  ci90 <- psych::alpha.ci(a$total$raw_alpha, n, k, p.val = 0.10, digits = 15)
  out <- list(n = n, k = k, raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
              feldt_low = a$feldt$lower.ci[[1]], feldt_high = a$feldt$upper.ci[[1]],
              ci90_low = ci90$lower.ci[[1]], ci90_high = ci90$upper.ci[[1]])
  if (k >= 3) {
    out$alpha_drop <- unname(a$alpha.drop$raw_alpha)
    out$r_drop <- unname(a$item.stats$r.drop)
  }
  alpha_out[[case$id]] <- out
}

# ------------------------------------------------------------------------------------------
# 5. paired effect sizes. Noncentral-t limits by uniroot() on pt(t, df, ncp). R's pnt() is
# only approximate for |ncp| > 37.62 (see ?pt; e.g. pt(60, 10, 55) = 0.6026 against 0.5894 by
# quadrature), so there the cdf is computed by quadrature over the chi-square density instead.
pnt_quad <- function(t, df, ncp) {
  # P(T <= t) = E[pnorm(t * S / sqrt(df) - ncp)], S ~ chi(df); integrating over S (not S^2)
  # keeps the density finite at 0 for df = 1.
  log_chi <- function(s) (df - 1) * log(s) - s^2 / 2 - (df / 2 - 1) * log(2) - lgamma(df / 2)
  lo <- sqrt(qchisq(1e-16, df))
  hi <- sqrt(qchisq(1e-16, df, lower.tail = FALSE))
  integrate(function(s) pnorm(t * s / sqrt(df) - ncp) * exp(log_chi(s)), lo, hi,
            rel.tol = 1e-13, abs.tol = 0, subdivisions = 5000L)$value
}
ncp_limit <- function(t, df, target) {
  f <- function(l) pt(t, df, ncp = l) - target
  root <- uniroot(f, c(t - 1, t + 1), extendInt = "downX", tol = 1e-13, maxiter = 5000)$root
  if (abs(root) > 37) {
    g <- function(l) pnt_quad(t, df, l) - target
    root <- uniroot(g, c(root - 5, root + 5), extendInt = "downX", tol = 1e-12,
                    maxiter = 5000)$root
  }
  root
}
paired_out <- list()
for (case in input$paired) {
  pre <- num(case$pre)
  post <- num(case$post)
  ok <- !is.na(pre) & !is.na(post)
  pre <- pre[ok]
  post <- post[ok]
  level <- case$level
  n <- length(pre)
  d <- post - pre
  m <- mean(d)
  se <- sd(d) / sqrt(n)
  t <- m / se
  sd_av <- (sd(pre) + sd(post)) / 2
  J <- 1 - 3 / (4 * (n - 1) - 1)
  lam <- c(ncp_limit(t, n - 1, 1 - (1 - level) / 2), ncp_limit(t, n - 1, (1 - level) / 2))
  paired_out[[case$id]] <- list(
    n = n, t = t, quadrature = any(abs(lam) > 37),
    dz = t / sqrt(n), dz_ci_low = lam[1] / sqrt(n), dz_ci_high = lam[2] / sqrt(n),
    dav = m / sd_av, dav_ci_low = lam[1] * se / sd_av, dav_ci_high = lam[2] * se / sd_av,
    gav = J * m / sd_av, gav_ci_low = J * lam[1] * se / sd_av,
    gav_ci_high = J * lam[2] * se / sd_av)
}

# ------------------------------------------------------------------------------------------
# 6. reliable change by hand (Jacobson & Truax 1991; Hsu 1989; Speer 1992;
#    Hageman & Arrindell 1999), categories with |RCI| > critical value.
categorise <- function(rci, crit, hib) {
  o <- if (hib) rci else -rci
  ifelse(o > crit, "improved", ifelse(o < -crit, "deteriorated", "unchanged"))
}
rci_out <- list()
for (case in input$rci) {
  pre <- num(case$pre)
  post <- num(case$post)
  S <- case$sd
  r <- case$reliability
  hib <- case$higher_is_better
  M <- case$mean
  sem <- S * sqrt(1 - r)
  jt <- (post - pre) / (sqrt(2) * sem)
  gln <- ((post - M) - r * (pre - M)) / (S * sqrt(1 - r^2))
  en <- (post - (r * (pre - M) + M)) / sem
  s1 <- sd(pre)
  s2 <- sd(post)
  r12 <- cor(pre, post)
  rxx1 <- (s1^2 - sem^2) / s1^2
  rxx2 <- (s2^2 - sem^2) / s2^2
  rdd <- (s1^2 * rxx1 + s2^2 * rxx2 - 2 * s1 * s2 * r12) / (s1^2 + s2^2 - 2 * s1 * s2 * r12)
  ha <- if (rdd > 0) {
    ((post - pre) * rdd + (mean(post) - mean(pre)) * (1 - rdd)) / (sqrt(rdd) * sqrt(2) * sem)
  } else NA
  jt_cat <- categorise(jt, 1.96, hib)
  crossed <- if (hib) pre < case$cutoff & post >= case$cutoff else
    pre > case$cutoff & post <= case$cutoff
  cs <- ifelse(jt_cat == "improved" & crossed, "recovered", jt_cat)
  rci_out[[case$id]] <- list(
    change = post - pre, jt = jt, jt_category = jt_cat, gln = gln,
    gln_category = categorise(gln, 1.96, hib), en = en, en_category = categorise(en, 1.96, hib),
    r_dd = rdd, ha = ha, ha_category = if (rdd > 0) categorise(ha, 1.65, hib) else NA,
    cs_category = cs)
}

# ------------------------------------------------------------------------------------------
# 7. lme4 on unbalanced data with few municipalities (3 occasions, dropout)

tidy_lmer <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  list(terms = names(fixef(fit)), estimate = unname(fixef(fit)),
       se = unname(sqrt(diag(as.matrix(vcov(fit))))), vc_group = vc$grp, vc_variance = vc$vcov,
       reml_loglik = as.numeric(logLik(fit)), nobs = nobs(fit), singular = isSingular(fit))
}
ctl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))
lme4_out <- list()
for (set in names(input$lme4)) {
  rows <- input$lme4[[set]]$rows
  d <- data.frame(
    client_id = vapply(rows, function(r) r$client_id, ""),
    municipality = vapply(rows, function(r) r$municipality, ""),
    gender = factor(vapply(rows, function(r) r$gender, ""), levels = c("female", "male")),
    age = vapply(rows, function(r) as.numeric(r$age), 0),
    occasion = factor(vapply(rows, function(r) r$occasion, ""),
                      levels = c("baseline", "end", "followup")),
    total = vapply(rows, function(r) as.numeric(r$total), 0))
  fit <- function(f) suppressMessages(lmer(f, data = d, REML = TRUE, control = ctl))
  lme4_out[[set]] <- list(
    nested = tidy_lmer(fit(total ~ occasion * gender + (1 | municipality / client_id))),
    client = tidy_lmer(fit(total ~ occasion * gender + municipality + (1 | client_id))),
    nested_age = tidy_lmer(fit(total ~ occasion * gender + age + (1 | municipality / client_id))))
}

out <- list(generated_by = "tests/reference/random_cases.R", r_version = R.version.string,
            versions = list(metafor = as.character(packageVersion("metafor")),
                            psych = as.character(packageVersion("psych")),
                            lme4 = as.character(packageVersion("lme4"))),
            meta = meta_out, regression = reg_out, smcr = smcr_out, alpha = alpha_out,
            paired = paired_out, rci = rci_out, lme4 = lme4_out)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "string", pretty = FALSE),
           file.path(here, "random_cases_reference.json"))
cat("wrote", file.path(here, "random_cases_reference.json"), "\n")
