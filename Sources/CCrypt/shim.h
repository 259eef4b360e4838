// crypt(3) from libxcrypt (Debian: libcrypt-dev) to check the bcrypt hashes of --web.config.file.
#include <crypt.h>
