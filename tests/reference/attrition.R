# Reference values for soskulib.attrition and soskulib.rtm (tests/test_attrition.py reads the JSON).
# Run from the repository root:  Rscript tests/reference/attrition.R
# Input: tests/reference/attrition_input.csv (tests/reference/attrition_generate.py).
# Independent computations: standardised differences by hand (Austin 2009), IPW with glm() and
# survey::svymean(), delta-adjusted MI with mice(method = "pmm") and its `post` hook, Rubin's
# rules by hand, RTM by lm() and tapply().
suppressMessages({library(jsonlite); library(survey); library(mice)})

d <- read.csv("tests/reference/attrition_input.csv")
J <- function(n) { m <- n - 1; exp(lgamma(m / 2) - 0.5 * log(m / 2) - lgamma((m - 1) / 2)) }
smd_num <- function(a, b) (mean(a) - mean(b)) / sqrt((var(a) + var(b)) / 2)
smd_bin <- function(a, b) { p1 <- mean(a); p0 <- mean(b); (p1 - p0) / sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2) }

out <- list()
set.seed(7)
for (g in unique(d$group)) {
  x <- d[d$group == g, ]
  cc <- x$completed == 1
  n <- nrow(x); s <- sd(x$pre)
  # IPW
  fit <- glm(completed ~ pre + age + female, family = binomial, data = x)
  p <- fitted(fit)
  dd <- data.frame(ch = (x$post - x$pre)[cc], w = 1 / p[cc])
  sm <- svymean(~ch, svydesign(ids = ~1, weights = ~w, data = dd))
  m_ipw <- as.numeric(coef(sm)); v_ipw <- as.numeric(vcov(sm))
  yi_ipw <- J(n) * m_ipw / s
  # delta-adjusted MI (pmm), m = 200
  mi <- list()
  for (delta in c(0, -0.5)) {
    dat <- x[, c("pre", "post", "age", "female")]
    meth <- make.method(dat); meth[] <- ""; meth["post"] <- "pmm"
    post_hook <- make.post(dat)
    post_hook["post"] <- sprintf("imp[[j]][, i] <- imp[[j]][, i] + %.17g", delta * s)
    imp <- mice(dat, m = 200, maxit = 1, method = meth, post = post_hook, printFlag = FALSE,
                seed = 11)
    q <- u <- numeric(200)
    for (j in 1:200) {
      full <- complete(imp, j)
      yi <- J(n) * (mean(full$post) - mean(full$pre)) / s
      r <- cor(full$pre, full$post)
      q[j] <- yi; u[j] <- 2 * (1 - r) / n + yi^2 / (2 * n)
    }
    mi[[as.character(delta)]] <- list(yi = mean(q), vi = mean(u) + (1 + 1 / 200) * var(q))
  }
  # RTM among completers
  xc <- x[cc, ]
  ch <- xc$post - xc$pre
  lmfit <- lm(ch ~ I(pre - mean(pre)), data = xc)
  ci <- confint(lmfit)[2, ]
  tert <- cut(rank(xc$pre, ties.method = "first"), quantile(rank(xc$pre, ties.method = "first"), 0:3 / 3), include.lowest = TRUE, labels = FALSE)
  out[[g]] <- list(
    n = n, n_completers = sum(cc),
    smd = list(pre = smd_num(x$pre[cc], x$pre[!cc]), age = smd_num(x$age[cc], x$age[!cc]),
               female = smd_bin(x$female[cc], x$female[!cc])),
    propensity_head = as.numeric(head(p, 5)),
    ipw = list(mean_change = m_ipw, se_change = sqrt(v_ipw), yi = yi_ipw,
               vi = v_ipw / s^2 + yi_ipw^2 / (2 * n), ess = sum(dd$w)^2 / sum(dd$w^2)),
    mi = mi,
    rtm = list(intercept = as.numeric(coef(lmfit)[1]), slope = as.numeric(coef(lmfit)[2]),
               slope_ci = as.numeric(ci), slope_p = summary(lmfit)$coefficients[2, 4],
               tertile_mean_change = as.numeric(tapply(ch, tert, mean)),
               tertile_n = as.numeric(table(tert)),
               rtm_adjusted = mean(ch) - (1 - 0.8) * (55 - mean(xc$pre)))
  )
}
write_json(list(groups = out, R = R.version.string, mice = as.character(packageVersion("mice")),
                survey = as.character(packageVersion("survey"))),
           "tests/reference/attrition_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
