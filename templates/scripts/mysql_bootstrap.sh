# Initialises the MariaDB data directory once and sets the root password
# (root@localhost and root@%). Run with sh -ec by the mysql_bootstrap
# one-shot at step 1, after kolla_set_configs has put the config in place.
kolla_set_configs
if [ -d /var/lib/mysql/mysql ]; then
  echo "mysql_bootstrap: /var/lib/mysql already initialised"
  exit 0
fi
case "$MYSQL_ROOT_PASSWORD" in
  ''|*[!A-Za-z0-9_.,:+=@%/-]*)
    echo "mysql_bootstrap: MYSQL_ROOT_PASSWORD is empty or has characters outside [A-Za-z0-9_.,:+=@%/-]" >&2
    exit 1;;
esac
chown -R mysql:mysql /var/lib/mysql
mysql_install_db --user=mysql --datadir=/var/lib/mysql --skip-test-db \
  --auth-root-authentication-method=normal > /dev/null
mysqld --user=mysql --skip-networking --socket=/tmp/bootstrap.sock \
  --datadir=/var/lib/mysql &
pid=$!
i=0
until mysqladmin --socket=/tmp/bootstrap.sock -u root ping > /dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 120 ]; then echo "mysql_bootstrap: mysqld did not start" >&2; exit 1; fi
  sleep 1
done
# mysql_install_db also makes root@127.0.0.1, root@::1, root@<hostname> and
# anonymous users without a password: only root@localhost and root@% stay.
mysql --socket=/tmp/bootstrap.sock -u root -N -e \
  "SELECT CONCAT(QUOTE(User), '@', QUOTE(Host)) FROM mysql.user
   WHERE User = '' OR (User = 'root' AND Host <> 'localhost')" |
while read -r account; do
  mysql --socket=/tmp/bootstrap.sock -u root -e "DROP USER $account"
done
mysql --socket=/tmp/bootstrap.sock -u root <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';
CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysqladmin --socket=/tmp/bootstrap.sock -u root shutdown
wait "$pid" || true
echo "mysql_bootstrap: data directory initialised"
