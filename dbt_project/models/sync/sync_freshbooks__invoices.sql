-- FreshBooks invoices to create (POST invoices/invoices, left a draft until Infor ships the
-- order: sync_freshbooks__invoice_status) or void (PUT {"vis_state": 1}): one row per shop
-- order, natural key invoice_number ('SHOP-' + order number). `customerid` is null when the
-- client is still to be created: `depends_on` names it (its normalized e-mail). Off where no
-- shop is connected (the sync `requires` it).

{{ sync_model('freshbooks_invoices', extra_columns=[
    'order_id',
    'order_name',
    'buyer_email',
    'line_count',
    'before_values',
]) }}
