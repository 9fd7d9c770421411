"""Paste filter of the local Heat: after `noauth` (which sets only the
`admin` role), give every request the roles Heat's default policies ask
for. Loaded by the launcher inside the Heat virtualenv."""


def filter_factory(global_conf, **local_conf):
    def make(app):
        def with_roles(environ, start_response):
            environ['HTTP_X_ROLES'] = 'admin,member,reader'
            return app(environ, start_response)
        return with_roles
    return make
