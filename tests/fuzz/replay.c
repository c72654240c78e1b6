/* Runs LLVMFuzzerTestOneInput over every file in the directories (or the
 * files) given as arguments, so that the fuzz corpus is replayed by every
 * test run with any compiler, libFuzzer or not.  A crash or abort() in the
 * target fails the test; so does an argument that cannot be read or a
 * directory without inputs, which would make the test prove nothing. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;
	int ret = -1;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint8_t *v = realloc(data, ncap);

			if (!v) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				goto out;
			}
			data = v;
			cap = ncap;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		goto out;
	}
	/* An exact-size copy, as libFuzzer gives, so ASan sees over-reads. */
	uint8_t *exact = malloc(len ? len : 1);

	if (!exact)
		goto out;
	memcpy(exact, data, len);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	ret = 0;
out:
	free(data);
	fclose(f);
	return ret;
}

static int replay_dir(const char *dir, unsigned *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 0;

	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char path[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path)) {
			fprintf(stderr, "replay: %s/%s: path too long\n", dir, e->d_name);
			ret = -1;
			continue;
		}
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(path) < 0)
			ret = -1;
		else
			(*count)++;
	}
	closedir(d);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		unsigned before = count;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			ret = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) < 0)
				ret = 1;
			if (count == before) {
				fprintf(stderr, "replay: %s: no inputs\n", argv[i]);
				ret = 1;
			}
		} else if (replay_file(argv[i]) < 0) {
			ret = 1;
		} else {
			count++;
		}
	}
	printf("replayed %u inputs\n", count);
	return ret;
}
