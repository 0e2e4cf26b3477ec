-- FreshBooks clients to create (POST users/clients) or update (PUT users/clients/{id}): one row
-- per client; natural key = the normalized e-mail for a create, the client id for an update.
-- A null payload field is not sent (PUT updates only the keys given).

{{ sync_model('freshbooks_clients', extra_columns=[
    'source_system',
    'shop_customer_id',
    'client_id',
    'customer_number',
    'before_values',
]) }}
