"""The orders service's gRPC API: translate, dispatch (or query), translate back."""

from __future__ import annotations

from datetime import datetime

import grpc

from invariant.orders.v1 import orders_pb2 as pb
from invariant.orders.v1 import orders_pb2_grpc
from invariant_core.commands import Dispatcher
from invariant_core.messages import date_from_message, date_message, decimal_message, timestamp_message
from invariant_core.paging import page_of, page_query
from orders.api.lines import item_line_fields
from orders.api.purchasing_servicer import PurchasingRpcs
from orders.api.work_orders import WorkOrdersApi
from orders.domain import commands, fulfilment
from orders.domain.partners import Customer, Supplier
from orders.domain.returns import CreateReturn, CustomerReturn
from orders.domain.sales import PromisePolicy, SalesOrder, SalesOrderState
from orders.service import fulfilment as fulfil
from orders.service import handlers, returns
from orders.service.ports import Items, OrdersRepository, Reading, Stock

_POLICIES = {
    pb.PROMISE_POLICY_ALL_OR_NOTHING: PromisePolicy.ALL_OR_NOTHING,
    pb.PROMISE_POLICY_PARTIAL: PromisePolicy.PARTIAL,
}
_POLICY_NUMBERS = {policy: number for number, policy in _POLICIES.items()}
_STATES = {
    pb.SALES_ORDER_STATE_DRAFT: SalesOrderState.DRAFT,
    pb.SALES_ORDER_STATE_CONFIRMED: SalesOrderState.CONFIRMED,
    pb.SALES_ORDER_STATE_CANCELLED: SalesOrderState.CANCELLED,
    pb.SALES_ORDER_STATE_PICKING: SalesOrderState.PICKING,
    pb.SALES_ORDER_STATE_PARTLY_SHIPPED: SalesOrderState.PARTLY_SHIPPED,
    pb.SALES_ORDER_STATE_SHIPPED: SalesOrderState.SHIPPED,
    pb.SALES_ORDER_STATE_CLOSED: SalesOrderState.CLOSED,
}
_STATE_NUMBERS = {state: number for number, state in _STATES.items()}


class OrdersServicer(WorkOrdersApi, PurchasingRpcs, orders_pb2_grpc.OrdersServiceServicer):
    def __init__(self, reading: Reading, dispatch: Dispatcher[OrdersRepository], items: Items, stock: Stock) -> None:
        super().__init__(reading, dispatch)
        self._items = items
        self._stock = stock

    # partners

    async def CreateCustomer(self, request: pb.CreateCustomerRequest, context: grpc.aio.ServicerContext) -> pb.Customer:
        command = commands.CreateCustomer(code=request.code, name=request.name)
        return await self._dispatch(request, command, pb.Customer, customer_message)

    async def ListCustomers(
        self, request: pb.ListCustomersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCustomersResponse:
        page = page_query(request, str)
        found = page_of(await self._query(lambda repo: repo.customers(page)), page, lambda c: (c.code,))
        return pb.ListCustomersResponse(
            customers=[customer_message(c) for c in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    async def CreateSupplier(self, request: pb.CreateSupplierRequest, context: grpc.aio.ServicerContext) -> pb.Supplier:
        command = commands.CreateSupplier(
            code=request.code,
            name=request.name,
            items=tuple(commands.SuppliedItem(i.item_sku, i.pack_size.value, i.lead_time_days) for i in request.items),
        )
        return await self._dispatch(request, command, pb.Supplier, supplier_message)

    async def ListSuppliers(
        self, request: pb.ListSuppliersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListSuppliersResponse:
        page = page_query(request, str)
        found = page_of(await self._query(lambda repo: repo.suppliers(page)), page, lambda s: (s.code,))
        return pb.ListSuppliersResponse(
            suppliers=[supplier_message(s) for s in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    # sales orders

    async def CreateSalesOrder(
        self, request: pb.CreateSalesOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.SalesOrder:
        command = commands.CreateSalesOrder(
            customer=request.customer,
            customer_reference=request.customer_reference,
            policy=str(_POLICIES.get(request.policy, "")),
            lines=tuple(
                commands.LineInput(
                    item_sku=line.item_sku,
                    barcode=line.barcode,
                    quantity=line.quantity.value,
                    unit=line.unit,
                    warehouse=line.warehouse,
                    requested_date=(
                        date_from_message(line.requested_date, f"lines[{n}].requested_date")
                        if line.HasField("requested_date")
                        else None
                    ),
                )
                for n, line in enumerate(request.lines)
            ),
        )
        return await self._dispatch(request, command, pb.SalesOrder, sales_order_message)

    async def ConfirmSalesOrder(
        self, request: pb.ConfirmSalesOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.SalesOrder:
        command = commands.ConfirmSalesOrder(number=request.number)
        return await self._dispatch(request, command, pb.SalesOrder, sales_order_message)

    async def CancelSalesOrder(
        self, request: pb.CancelSalesOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.SalesOrder:
        command = commands.CancelSalesOrder(number=request.number, reason=request.reason)
        return await self._dispatch(request, command, pb.SalesOrder, sales_order_message)

    async def GetSalesOrders(
        self, request: pb.GetSalesOrdersRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetSalesOrdersResponse:
        found = await self._query(lambda repo: handlers.get_sales_orders(repo, request.numbers))
        return pb.GetSalesOrdersResponse(orders=[sales_order_message(o) for o in found])

    async def ListSalesOrders(
        self, request: pb.ListSalesOrdersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListSalesOrdersResponse:
        page = page_query(request, datetime, str)
        customer = request.customer.strip().upper()
        state = _STATES.get(request.state)
        found = page_of(
            await self._query(lambda repo: repo.list_sales_orders(customer, state, page)),
            page,
            lambda o: (o.created_at, o.number),
        )
        return pb.ListSalesOrdersResponse(
            orders=[sales_order_message(o) for o in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    # fulfilment

    async def GetPickList(self, request: pb.GetPickListRequest, context: grpc.aio.ServicerContext) -> pb.PickList:
        entries = await fulfil.get_pick_list(self._reading, self._items, self._stock, request.number)
        return pb.PickList(
            number=request.number.strip().upper(),
            entries=[
                pb.PickListEntry(
                    line=e.line,
                    item_sku=e.item_sku,
                    location=e.location,
                    lot=e.lot,
                    quantity=decimal_message(e.quantity),
                    unit=e.unit,
                )
                for e in entries
            ],
        )

    async def PickLine(self, request: pb.PickLineRequest, context: grpc.aio.ServicerContext) -> pb.SalesOrder:
        command = fulfilment.PickLine(
            number=request.number,
            line=request.line,
            location=request.location,
            barcode=request.barcode,
            lot=request.lot,
            quantity=request.quantity.value,
            unit=request.unit,
        )
        return await self._dispatch(request, command, pb.SalesOrder, sales_order_message)

    async def ShortPick(self, request: pb.ShortPickRequest, context: grpc.aio.ServicerContext) -> pb.SalesOrder:
        command = fulfilment.ShortPick(
            number=request.number,
            line=request.line,
            location=request.location,
            lot=request.lot,
            found=request.found.value,
        )
        return await self._dispatch(request, command, pb.SalesOrder, sales_order_message)

    async def ShipSalesOrder(
        self, request: pb.ShipSalesOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.SalesOrder:
        command = fulfilment.ShipSalesOrder(number=request.number)
        return await self._dispatch(request, command, pb.SalesOrder, sales_order_message)

    async def CloseSalesOrder(
        self, request: pb.CloseSalesOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.SalesOrder:
        command = fulfilment.CloseSalesOrder(number=request.number)
        return await self._dispatch(request, command, pb.SalesOrder, sales_order_message)

    async def CreateReturn(
        self, request: pb.CreateReturnRequest, context: grpc.aio.ServicerContext
    ) -> pb.CustomerReturn:
        command = CreateReturn(
            number=request.number,
            line=request.line,
            quantity=request.quantity.value,
            unit=request.unit,
            location=request.location,
            lot=request.lot,
            reason=request.reason,
        )
        return await self._dispatch(request, command, pb.CustomerReturn, return_message)

    async def GetCustomerReturns(
        self, request: pb.GetCustomerReturnsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCustomerReturnsResponse:
        found = await self._query(lambda repo: returns.get_customer_returns(repo, request.numbers))
        return pb.GetCustomerReturnsResponse(returns=[return_message(rma) for rma in found])

    async def ListCustomerReturns(
        self, request: pb.ListCustomerReturnsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCustomerReturnsResponse:
        page = page_query(request, datetime, str)
        order_number = request.order_number.strip().upper()
        found = page_of(
            await self._query(lambda repo: repo.list_customer_returns(order_number, page)),
            page,
            lambda rma: (rma.created_at, rma.number),
        )
        return pb.ListCustomerReturnsResponse(
            returns=[return_message(rma) for rma in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )


def return_message(rma: CustomerReturn) -> pb.CustomerReturn:
    return pb.CustomerReturn(
        id=rma.id,
        number=rma.number,
        order_number=rma.order_number,
        line=rma.line,
        item_sku=rma.item_sku,
        warehouse=rma.warehouse,
        location=rma.location,
        lot=rma.lot,
        quantity=decimal_message(rma.quantity),
        reason=rma.reason,
        actor=rma.actor,
        created_at=timestamp_message(rma.created_at),
        movement_id=rma.movement_id,
    )


def customer_message(customer: Customer) -> pb.Customer:
    return pb.Customer(
        id=customer.id, code=customer.code, name=customer.name, created_at=timestamp_message(customer.created_at)
    )


def supplier_message(supplier: Supplier) -> pb.Supplier:
    return pb.Supplier(
        id=supplier.id,
        code=supplier.code,
        name=supplier.name,
        created_at=timestamp_message(supplier.created_at),
        items=[
            pb.SupplierItem(
                item_sku=i.item_sku,
                pack_size=None if i.pack_size is None else decimal_message(i.pack_size),
                lead_time_days=i.lead_time_days,
            )
            for i in supplier.items
        ],
    )


def sales_order_message(order: SalesOrder) -> pb.SalesOrder:
    message = pb.SalesOrder(
        id=order.id,
        number=order.number,
        customer=order.customer,
        customer_reference=order.customer_reference,
        policy=_POLICY_NUMBERS[order.policy],
        state=_STATE_NUMBERS[order.state],
        created_at=timestamp_message(order.created_at),
    )
    for line in order.lines:
        added = message.lines.add(
            **item_line_fields(line),
            reserved=decimal_message(line.reserved),
            backordered=decimal_message(line.backordered),
            reservation_id=line.reservation_id,
            reservations=[
                pb.SalesOrderLineReservation(reservation_id=r.reservation_id, open=decimal_message(r.open))
                for r in line.reservations
            ],
            asking=decimal_message(line.asking),
            picked=decimal_message(line.picked),
            shipped=decimal_message(line.shipped),
            shorted=decimal_message(line.shorted),
            returned=decimal_message(line.returned),
        )
        if line.requested_date is not None:
            added.requested_date.CopyFrom(date_message(line.requested_date))
    for t in order.transitions:
        message.transitions.add(
            state=_STATE_NUMBERS[t.state], actor=t.actor, at=timestamp_message(t.at), reason=t.reason
        )
    for p in order.picks:
        added_pick = message.picks.add(
            seq=p.seq,
            line=p.line,
            location=p.location,
            lot=p.lot,
            quantity=decimal_message(p.quantity),
            actor=p.actor,
            at=timestamp_message(p.at),
            shipment=p.shipment,
        )
        if p.expected is not None:
            added_pick.expected.CopyFrom(decimal_message(p.expected))
    return message
