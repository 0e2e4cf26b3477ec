-- FreshBooks invoices whose Infor order shipped (or was invoiced): the Infor reference goes
-- into `po_number` (PUT invoices/invoices/{id}) and a draft is marked sent. One row per invoice,
-- natural key invoice_number; see plan_freshbooks__invoice_status.

{{ sync_model('freshbooks_invoice_status', extra_columns=[
    'invoice_key',
    'account_id',
    'invoice_number',
    'v3_status',
    'm3_order_number',
    'm3_delivery_number',
    'm3_shipment_number',
    'm3_invoice_number',
    'shipped_on',
    'before_values',
]) }}
