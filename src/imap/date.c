/* imap_date: INTERNALDATE, RFC 3501 date-time:
 *   DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
 * The caller passes the string without the quotes. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imapfs/imap_date.h"

static const char date_months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* n digits at s as a number, or -1. */
static int date_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool date_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int imap_date_parse(const char *s, time_t *t_r)
{
	/* "dd-Mon-yyyy hh:mm:ss +zzzz" */
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	struct tm tm = {0};
	int day, mon = -1, year, hour, min, sec, zh, zm, sign;
	time_t t;

	if (!s || strlen(s) != 26)
		return -EINVAL;
	/* date-day-fixed = (SP DIGIT) / 2DIGIT */
	day = s[0] == ' ' ? date_digits(s + 1, 1) : date_digits(s, 2);
	for (int i = 0; i < 12; i++)
		if (strncasecmp(s + 3, date_months[i], 3) == 0)
			mon = i;
	year = date_digits(s + 7, 4);
	hour = date_digits(s + 12, 2);
	min = date_digits(s + 15, 2);
	sec = date_digits(s + 18, 2);
	zh = date_digits(s + 22, 2);
	zm = date_digits(s + 24, 2);
	if (s[2] != '-' || s[6] != '-' || s[11] != ' ' || s[14] != ':' || s[17] != ':' ||
	    s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
		return -EINVAL;
	if (day < 1 || mon < 0 || year < 0 || hour < 0 || hour > 23 || min < 0 || min > 59 ||
	    sec < 0 || sec > 60 || zh < 0 || zh > 23 || zm < 0 || zm > 59)
		return -EINVAL;
	if (day > mdays[mon] + (mon == 1 && date_is_leap(year)))
		return -EINVAL;
	sign = s[21] == '-' ? -1 : 1;

	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	/* A leap second (:60) becomes the next second; time_t has none. */
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 &&
	    !(year == 1969 && mon == 11 && day == 31 && hour == 23 && min == 59 && sec == 59))
		return -EINVAL;
	/* The zone is local time minus UTC. */
	*t_r = t - (time_t)sign * (zh * 3600 + zm * 60);
	return 0;
}

int imap_date_format(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (len < IMAP_DATE_BUFSIZE || !gmtime_r(&t, &tm) || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return -EINVAL;
	/* UTC: a local offset would round-trip too, but UTC does not depend on
	 * the daemon's TZ. */
	snprintf(buf, len, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday, date_months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}
