/* Unit tests for bf_redact: userinfo passwords and secret parameters masked in URLs,
 * connection strings and command lines; everything else left as it was. TAP. */
#include <stdlib.h>
#include <string.h>

#include "base/bf_redact.h"

#include "tap.h"

static void masks(const char *in, const char *want)
{
	char *got = bf_redact(in);
	is_str(got, want, "masked: %s", in);
	ok(bf_has_secret(in), "a secret in: %s", in);
	free(got);
}

static void keeps(const char *in)
{
	char *got = bf_redact(in);
	is_str(got, in, "unchanged: %s", in);
	ok(!bf_has_secret(in), "no secret in: %s", in);
	free(got);
}

int main(void)
{
	masks("postgresql://etl:s3cret@db.example:5432/wh", "postgresql://etl:***@db.example:5432/wh");
	masks("sftp://pos:p@ss:w@rd@host/drops", "sftp://pos:***@host/drops");
	masks("https://u:x@files.example/a?b=1", "https://u:***@files.example/a?b=1");
	masks("postgresql://etl@db/wh?sslmode=require&password=hunter2", "postgresql://etl@db/wh?sslmode=require&password=***");
	masks("postgresql://etl@db/wh?PASSWORD=x", "postgresql://etl@db/wh?PASSWORD=***");
	masks("host=db user=etl password=hunter2 dbname=wh", "host=db user=etl password=*** dbname=wh");
	masks("host=db password='two words' dbname=wh", "host=db password=*** dbname=wh");
	masks("sslpassword=k1 sslkey=/etc/k", "sslpassword=*** sslkey=/etc/k");
	masks("https://api.example/v1?key=abc&x=1", "https://api.example/v1?key=***&x=1");
	masks("https://api.example/v1?token=abc#frag", "https://api.example/v1?token=***#frag");
	masks("https://api.example/v1?api_key=abc", "https://api.example/v1?api_key=***");
	masks("--source sftp://a:b@h/d --target postgresql://c:d@h/w",
	      "--source sftp://a:***@h/d --target postgresql://c:***@h/w");
	masks("--load-arg \"password=x\"", "--load-arg \"password=***\"");
	masks("secret=1,token=2", "secret=***,token=***");

	keeps("postgresql://etl@db.example:5432/wh?sslmode=verify-full");
	keeps("sftp://pos@host:2222/drops");
	keeps("sftp://host:22/drops");
	keeps("--type order_details.key=integer --type x.token=string");
	keeps("--password-file /etc/bf/pw --identity /k");
	keeps("https://user:@host/x");
	keeps("password= token=");
	keeps("a://b");
	keeps("");

	char small[12];
	size_t n = bf_redact_to(small, sizeof small, "u://a:b@host/x");
	is_int(n, strlen("u://a:***@host/x"), "the whole length is returned");
	is_str(small, "u://a:***@h", "cut to the buffer, NUL-terminated");
	is_int(bf_redact_to(NULL, 0, "password=x"), strlen("password=***"), "counting without a buffer");
	ok(bf_redact(NULL) == NULL, "NULL in, NULL out");
	return done_testing();
}
